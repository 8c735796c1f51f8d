using ActorVisits.Kafka.Settings;
using ActorVisits.Configuration;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using Akka.Actor;

namespace ActorVisits.Tests.Support;

/// <summary>The topics, group and settings of one processor under test, and the means to run it to a caught-up state.</summary>
public sealed class ProcessorRun
{
    private ProcessorRun(EmbeddedKafkaFixture kafka, ProcessorSettings settings)
    {
        Kafka = kafka;
        Settings = settings;
    }

    public EmbeddedKafkaFixture Kafka { get; }

    public ProcessorSettings Settings { get; }

    public KafkaSettings KafkaSettings => KafkaSettings.FromConfig(HostConfig.Reference) with { BootstrapServers = Kafka.Broker.BootstrapServers };

    /// <summary>Unique input, dead-letter, late and window topics and a unique group, with the default windows and rules.</summary>
    public static async Task<ProcessorRun> CreateAsync(EmbeddedKafkaFixture kafka, int partitions)
    {
        var input = await kafka.NewTopicAsync(partitions, "visits");
        var deadLetters = await kafka.NewTopicAsync(partitions, "dlq");
        var late = await kafka.NewTopicAsync(partitions, "late");
        var windows = new List<WindowSpec>();
        foreach (var window in WindowSet.Default.Windows)
            windows.Add(window with { Topic = await kafka.NewTopicAsync(partitions, $"out-{window.Name}") });
        var settings = ProcessorSettings.FromConfig(HostConfig.Reference) with
        {
            GroupId = kafka.NewGroup("processor"),
            InputTopic = input,
            DeadLetterTopic = deadLetters,
            LateTopic = late,
            Windows = new WindowSet(windows),
        };
        return new ProcessorRun(kafka, settings);
    }

    public VisitProcessor Start(ActorSystem system) => VisitProcessor.Start(system, KafkaSettings, Settings);

    /// <summary>Waits until the group has committed every record of the input topic (so every update is acknowledged).</summary>
    public Task CaughtUpAsync(VisitProcessor processor, TimeSpan within)
    {
        IReadOnlyList<PartitionLag> lags = [];
        return Eventually.HoldsAsync(() =>
        {
            if (processor.Completion.IsFaulted)
                throw processor.Completion.Exception!;
            lags = Kafka.Broker.DescribeGroupOffsetsAsync(Settings.GroupId, Settings.InputTopic, CancellationToken.None).GetAwaiter().GetResult();
            return lags.All(p => p.Lag == 0);
        }, within, () => "input committed to its end: " + string.Join(", ", lags.Select(p => $"p{p.Partition} lag {p.Lag}")));
    }

    /// <summary>Records of the input topic the group has not committed.</summary>
    public long Lag() =>
        Kafka.Broker.DescribeGroupOffsetsAsync(Settings.GroupId, Settings.InputTopic, CancellationToken.None).GetAwaiter().GetResult().Sum(p => p.Lag);

    /// <summary>Records of the input topic the group has committed, over all partitions.</summary>
    public long Committed() =>
        Kafka.Broker.DescribeGroupOffsetsAsync(Settings.GroupId, Settings.InputTopic, CancellationToken.None).GetAwaiter().GetResult().Sum(p => p.Committed ?? 0);

    public Task StopAsync(VisitProcessor processor) =>
        Eventually.CompletesAsync(processor.Control.DrainAndShutdownAsync(processor.Completion), TimeSpan.FromSeconds(30), "drain and shutdown");
}
