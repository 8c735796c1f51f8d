using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Native;

/// <summary>
/// Confluent.Kafka's <c>Consume</c> for a consumer built by Confluent.Kafka, read through <see cref="NativeRecord"/>:
/// the same result (key and value through the consumer's deserializers, timestamp, leader epoch) and the same
/// <see cref="ConsumeException"/>s (an error event, a key or value that does not deserialize), without the objects it
/// makes besides: the record's topic name is one string per topic, and a record without headers has null
/// <see cref="Message{TKey,TValue}.Headers"/> instead of an empty list. Like <c>Consume</c>, it rethrows what a
/// rebalance handler threw during the poll. Belongs to the consumer's polling thread.
/// </summary>
internal sealed class NativeConsume<TKey, TValue>(IConsumer<TKey, TValue> consumer, IDeserializer<TKey> keys, IDeserializer<TValue> values)
{
    private readonly IntPtr _handle = Librdkafka.RawHandle(consumer);
    private readonly Dictionary<IntPtr, (string Name, byte[] Utf8)> _topics = [];

    /// <summary>
    /// Where Confluent.Kafka's rebalance callback keeps what a handler (or its own assign after it) threw, for its
    /// <c>Consume</c> to rethrow. Polling librdkafka directly skips that rethrow: without it a refused rewind or a
    /// rejected assignment would be lost and the consumer would wait, without partitions, for good.
    /// </summary>
    private static FieldInfo HandlerExceptionField(Type consumerType) =>
        consumerType.GetField("handlerException", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("This Confluent.Kafka version does not keep its rebalance handlers' exceptions where ActorVisits reads them.");

    /// <summary>Reads that field after every poll, compiled once rather than through reflection per record.</summary>
    private readonly Func<Exception?> _handlerException = Expression.Lambda<Func<Exception?>>(
        Expression.Field(Expression.Constant(consumer), HandlerExceptionField(consumer.GetType()))).Compile();

    /// <summary>The bytes of the last record <see cref="Consume"/> returned: its key, value and headers as read.</summary>
    public int LastRecordBytes { get; private set; }

    /// <summary>The next record within <paramref name="timeoutMs"/>, null when none came.</summary>
    public ConsumeResult<TKey, TValue>? Consume(int timeoutMs)
    {
        using var record = NativeRecord.Poll(_handle, timeoutMs);
        RethrowHandlerException();
        if (record.IsEmpty)
            return null;
        var topic = TopicOf(record);
        if (record.Error == ErrorCode.Local_PartitionEOF)
            return new ConsumeResult<TKey, TValue> { Topic = topic, Partition = record.Partition, Offset = record.Offset, IsPartitionEOF = true };
        var timestamp = record.Timestamp;
        var headers = record.ReadHeaders();
        if (record.Error != ErrorCode.NoError)
            throw new ConsumeException(AsBytes(record, topic, timestamp, headers), record.ToError());
        TKey key;
        try
        {
            key = keys.Deserialize(record.Key, !record.HasKey, new SerializationContext(MessageComponentType.Key, topic, headers));
        }
        catch (Exception e)
        {
            throw new ConsumeException(AsBytes(record, topic, timestamp, headers), new Error(ErrorCode.Local_KeyDeserialization, e.Message), e);
        }
        TValue value;
        try
        {
            value = values.Deserialize(record.Value, !record.HasValue, new SerializationContext(MessageComponentType.Value, topic, headers));
        }
        catch (Exception e)
        {
            throw new ConsumeException(AsBytes(record, topic, timestamp, headers), new Error(ErrorCode.Local_ValueDeserialization, e.Message), e);
        }
        LastRecordBytes = record.Key.Length + record.Value.Length + HeaderBytes(headers);
        return new ConsumeResult<TKey, TValue>
        {
            Topic = topic,
            Partition = record.Partition,
            Offset = record.Offset,
            LeaderEpoch = record.LeaderEpoch,
            Message = new Message<TKey, TValue> { Key = key, Value = value, Timestamp = timestamp, Headers = headers },
        };
    }

    private static int HeaderBytes(Headers? headers)
    {
        if (headers is null)
            return 0;
        var bytes = 0;
        foreach (var header in headers)
            bytes += header.Key.Length + (header.GetValueBytes()?.Length ?? 0);
        return bytes;
    }

    /// <summary>Throws (once) what a rebalance handler run inside the last poll threw, as <c>Consume</c> does.</summary>
    private void RethrowHandlerException()
    {
        if (_handlerException() is not { } thrown)
            return;
        HandlerExceptionField(consumer.GetType()).SetValue(consumer, null);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown);
    }

    /// <summary>The topic's name, made once per topic handle and checked against librdkafka's each time.</summary>
    private string? TopicOf(NativeRecord record)
    {
        var handle = record.TopicHandle;
        if (handle == IntPtr.Zero)
            return null;
        var name = record.TopicName;
        if (_topics.TryGetValue(handle, out var known) && name.SequenceEqual(known.Utf8))
            return known.Name;
        known = (Encoding.UTF8.GetString(name), name.ToArray());
        _topics[handle] = known;
        return known.Name;
    }

    private static ConsumeResult<byte[], byte[]> AsBytes(NativeRecord record, string? topic, Timestamp timestamp, Headers? headers) => new()
    {
        Topic = topic,
        Partition = record.Partition,
        Offset = record.Offset,
        Message = new Message<byte[], byte[]>
        {
            Key = record.HasKey ? record.Key.ToArray() : null!,
            Value = record.HasValue ? record.Value.ToArray() : null!,
            Timestamp = timestamp,
            Headers = headers,
        },
    };
}
