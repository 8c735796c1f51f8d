using Confluent.Kafka;

namespace ActorVisits.Kafka.Settings;

/// <summary>How a producer flow produces: the librdkafka producer configuration plus the stage's own bounds.</summary>
public sealed record ProducerSettings<TKey, TValue>(
    ProducerConfig Config,
    ISerializer<TKey> KeySerializer,
    ISerializer<TValue> ValueSerializer)
{
    /// <summary>
    /// Records (not envelopes) handed to librdkafka and not yet acknowledged; past it the flow stops pulling
    /// (backpressure). An envelope larger than this is still taken when nothing else is in flight.
    /// </summary>
    public int MaxInFlightRecords { get; init; } = 10_000;

    /// <summary>
    /// Whether each envelope's results carry every record's delivery result (topic, partition, offset, timestamp), one
    /// .NET object per record made from librdkafka's report. Off, results carry the pass-through only and a report
    /// makes no object at all. Failures fail the flow either way.
    /// </summary>
    public bool KeepDeliveryResults { get; init; } = true;

    /// <summary>How long a stopping flow waits for librdkafka to deliver what it still holds.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Settings under which no acknowledged record is lost or duplicated by retries, and keys land where Java puts them.</summary>
    public static ProducerSettings<TKey, TValue> Create(ClientConfig client, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(client))
        {
            // A record is acknowledged only once every in-sync replica has it.
            Acks = Acks.All,
            // Retries cannot duplicate or reorder records within a partition.
            EnableIdempotence = true,
            // Same partition for a key as Kafka's Java client (murmur2), so one URL always lands in one partition.
            Partitioner = Partitioner.Murmur2Random,
        };
        // Small batching window: much higher throughput for at most 5 ms of added latency. A client property wins.
        if (config.Get("linger.ms") is null && config.Get("queue.buffering.max.ms") is null)
            config.LingerMs = 5;
        return new ProducerSettings<TKey, TValue>(config, keySerializer, valueSerializer);
    }
}
