using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// The offset of one consumed record, committable through the consumer that read it. <see cref="AssignmentEpoch"/>
/// names the assignment of the partition it was read under: once that partition is revoked, the offset is never committed.
/// </summary>
public sealed record CommittableOffset(TopicPartitionOffset Offset, long AssignmentEpoch, IOffsetCommitter Committer)
{
    /// <summary>Made once: <see cref="TopicPartitionOffset.TopicPartition"/> makes a new one on every read.</summary>
    public TopicPartition TopicPartition { get; } = Offset.TopicPartition;
}
