using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// A partition's windows could not be rebuilt from its records (they stayed unreadable for longer than
/// <c>outage-tolerance</c>, or an error no retry cures): the stream fails with it, for a restart, rather than count on
/// windows that miss the replayed visits.
/// </summary>
public sealed class RebuildFailedException(TopicPartition partition, Exception inner)
    : Exception($"Rebuilding the windows of {partition.Topic}[{partition.Partition.Value}] failed: {inner.Message}", inner)
{
    public TopicPartition Partition { get; } = partition;
}
