using ActorVisits.Configuration;
using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using Akka.Configuration;

namespace ActorVisits.Hosting;

/// <summary>Everything a processor host needs, resolved from HOCON, environment and flags before it is built.</summary>
/// <param name="Config">The whole HOCON configuration (reference, file), handed to Akka as it is.</param>
/// <param name="Name">What the log calls this processor (the command).</param>
public sealed record ProcessorHostOptions(
    Config Config,
    KafkaSettings Kafka,
    ProcessorSettings Processor,
    ClusterSettings Cluster,
    LogOptions Log,
    string Name = "process");
