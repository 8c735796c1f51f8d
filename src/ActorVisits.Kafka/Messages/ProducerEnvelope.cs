using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// A record to produce to a topic. Not a <see cref="Message{TKey,TValue}"/>: the producer flow hands every record's
/// fields to librdkafka itself. A struct, so that a list may make its records as they are read, with no object each.
/// </summary>
public readonly record struct ProducerRecord<TKey, TValue>(string Topic, TKey Key, TValue Value, Timestamp Timestamp = default, Headers? Headers = null)
{
    /// <summary>The record of <paramref name="message"/>'s key, value, timestamp and headers.</summary>
    public ProducerRecord(string topic, Message<TKey, TValue> message) : this(topic, message.Key, message.Value, message.Timestamp, message.Headers)
    {
    }
}

/// <summary>
/// What a producer flow takes: zero, one or many records, and a pass-through value (typically the committable offset of
/// the input) handed on once every record is acknowledged. <see cref="MayProduce"/>, asked for each record (by index)
/// just before it is handed to librdkafka, fences records that must no longer be produced (their input partition was
/// revoked since they were made): those are skipped and have no delivery result. <see cref="Records"/> must not change
/// once the envelope is handed over: it is read by index from the stage's thread and, for a failure or a kept delivery
/// result, from librdkafka's delivery thread, and each read of an index must give the same record.
/// </summary>
public sealed record ProducerEnvelope<TKey, TValue, TPassThrough>(IReadOnlyList<ProducerRecord<TKey, TValue>> Records, TPassThrough PassThrough)
{
    public Func<int, bool>? MayProduce { get; init; }

    public static ProducerEnvelope<TKey, TValue, TPassThrough> Single(ProducerRecord<TKey, TValue> record, TPassThrough passThrough) =>
        new([record], passThrough);

    public static ProducerEnvelope<TKey, TValue, TPassThrough> Multi(IReadOnlyList<ProducerRecord<TKey, TValue>> records, TPassThrough passThrough) =>
        new(records, passThrough);
}

/// <summary>The acknowledged records of one envelope, in envelope order (null for a record fenced off), with its pass-through.</summary>
public sealed record ProducerResults<TKey, TValue, TPassThrough>(IReadOnlyList<DeliveryResult<TKey, TValue>> Deliveries, TPassThrough PassThrough);
