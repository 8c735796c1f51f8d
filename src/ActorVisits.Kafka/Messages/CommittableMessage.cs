using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// A consumed record with the offset to commit once it has been processed. As Confluent.Kafka's Consume gives it,
/// except that a record without headers has null <see cref="Message{TKey,TValue}.Headers"/>.
/// </summary>
public sealed record CommittableMessage<TKey, TValue>(ConsumeResult<TKey, TValue> Record, CommittableOffset CommittableOffset);
