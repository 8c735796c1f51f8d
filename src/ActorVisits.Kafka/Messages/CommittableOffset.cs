using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// The offset of one consumed record, committable through the consumer that read it. <see cref="AssignmentEpoch"/>
/// names the assignment of the partition it was read under: once that partition is revoked, the offset is never committed.
/// <see cref="TopicPartition"/> is <see cref="Offset"/>'s partition, given rather than made from it
/// (<see cref="TopicPartitionOffset.TopicPartition"/> makes a new one on every read), so that the records of one partition share one.
/// </summary>
public sealed record CommittableOffset(TopicPartition TopicPartition, TopicPartitionOffset Offset, long AssignmentEpoch, IOffsetCommitter Committer);
