using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// The offset of one consumed record, committable through the consumer that read it. <see cref="AssignmentEpoch"/>
/// names the assignment of the partition it was read under: once that partition is revoked, the offset is never committed.
/// <see cref="TopicPartition"/> is given, not made per record, so that the records of one partition share one; the
/// offset is a value beside it, not a <see cref="TopicPartitionOffset"/> of its own per record.
/// </summary>
public sealed record CommittableOffset(TopicPartition TopicPartition, Offset Offset, long AssignmentEpoch, IOffsetCommitter Committer)
{
    /// <summary>
    /// How many processed records committing this offset stands for, as the committer counts them towards its
    /// max-batch: 1, or the length of the run of records it ends when a stream hands over only the last of each run.
    /// </summary>
    public int Records { get; init; } = 1;
}
