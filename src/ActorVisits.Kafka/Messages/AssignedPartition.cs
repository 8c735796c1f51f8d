using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// A partition this consumer is assigned, under assignment <paramref name="Epoch"/>, and the group's committed offset
/// when it was assigned (null when the group had none, or it could not be read).
/// </summary>
public sealed record AssignedPartition(TopicPartition Partition, long Epoch, long? CommittedOffset);
