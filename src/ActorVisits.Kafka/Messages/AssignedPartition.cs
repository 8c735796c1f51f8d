using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// A partition this consumer is assigned, under assignment <paramref name="Epoch"/> (this consumer's own count), in
/// the group's generation <paramref name="Generation"/> (the broker's count, growing with every rebalance of the group,
/// so a later owner of the partition always has a higher one; -1 when unknown), and the group's committed offset when it
/// was assigned (null when the group had none, or it could not be read: then <paramref name="CommittedUnknown"/>, and the
/// partition resumes wherever librdkafka finds the group's position, which only its first record tells).
/// <paramref name="HeldJustBefore"/>: this consumer gave the partition up in the generation right before this one, so
/// no other member can have owned it in between (false when unknown).
/// </summary>
public sealed record AssignedPartition(TopicPartition Partition, long Epoch, long? CommittedOffset, int Generation = -1, bool CommittedUnknown = false,
    bool HeldJustBefore = false);
