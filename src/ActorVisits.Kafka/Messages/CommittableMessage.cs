using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>A consumed record with the offset to commit once it has been processed.</summary>
public sealed record CommittableMessage<TKey, TValue>(ConsumeResult<TKey, TValue> Record, CommittableOffset CommittableOffset);
