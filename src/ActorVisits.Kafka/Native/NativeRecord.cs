using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Native;

/// <summary>
/// One record (or error event) polled with librdkafka's <c>rd_kafka_consumer_poll</c> on a Confluent.Kafka consumer's
/// own handle, read in place. Confluent.Kafka's <c>Consume</c> makes about nine .NET objects per record (a copy of the
/// message struct, the topic name, headers and their list, key and value arrays, the result and its message); reading
/// here makes none unless asked. The callbacks registered through Confluent.Kafka's builder (rebalance, errors, logs)
/// run inside the poll as they do inside <c>Consume</c>. Valid until disposed; poll and dispose on the consumer's thread.
/// </summary>
internal readonly unsafe ref struct NativeRecord : IDisposable
{
    private readonly IntPtr _message;

    private NativeRecord(IntPtr message) => _message = message;

    /// <summary>What <paramref name="rk"/> has within <paramref name="timeoutMs"/>; <see cref="IsEmpty"/> when nothing.</summary>
    public static NativeRecord Poll(IntPtr rk, int timeoutMs) => new(Librdkafka.rd_kafka_consumer_poll(rk, timeoutMs));

    private ref readonly Librdkafka.Message Message => ref *(Librdkafka.Message*)_message;

    public bool IsEmpty => _message == IntPtr.Zero;

    /// <summary>Not <see cref="ErrorCode.NoError"/>: an event (a failed fetch, the end of a partition), not a record.</summary>
    public ErrorCode Error => (ErrorCode)Message.Error;

    public int Partition => Message.Partition;

    public long Offset => Message.Offset;

    /// <summary>False for a record without a value (a tombstone); an empty value is a value.</summary>
    public bool HasValue => Message.Payload != IntPtr.Zero;

    public ReadOnlySpan<byte> Value => HasValue ? new ReadOnlySpan<byte>((void*)Message.Payload, checked((int)Message.Length)) : default;

    /// <summary>False for a record without a key.</summary>
    public bool HasKey => Message.Key != IntPtr.Zero;

    public ReadOnlySpan<byte> Key => HasKey ? new ReadOnlySpan<byte>((void*)Message.Key, checked((int)Message.KeyLength)) : default;

    /// <summary>librdkafka's handle of the record's topic (zero for some events); the same for every record of a topic.</summary>
    public IntPtr TopicHandle => Message.Topic;

    /// <summary>The topic's name in UTF-8, read in place (empty when the event names no topic).</summary>
    public ReadOnlySpan<byte> TopicName => Message.Topic == IntPtr.Zero
        ? default
        : MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)Librdkafka.rd_kafka_topic_name(Message.Topic));

    /// <summary>The leader epoch the record was fetched under, as Confluent.Kafka reports it (null for an event without a topic or offset).</summary>
    public int? LeaderEpoch => Message.Topic != IntPtr.Zero && Message.Offset != Confluent.Kafka.Offset.Unset.Value
        ? Librdkafka.rd_kafka_message_leader_epoch(_message)
        : null;

    /// <summary>The record's headers as Confluent.Kafka's; null when it has none.</summary>
    public Headers? ReadHeaders()
    {
        if (Librdkafka.rd_kafka_message_headers(_message, out var headers) != 0)
            return null;
        var read = new Headers();
        for (nuint index = 0; Librdkafka.rd_kafka_header_get_all(headers, index, out var name, out var value, out var size) == 0; index++)
            read.Add(Marshal.PtrToStringUTF8(name)!, value == IntPtr.Zero ? null : new ReadOnlySpan<byte>((void*)value, checked((int)size)).ToArray());
        return read;
    }

    public Timestamp Timestamp => Librdkafka.TimestampOf(_message);

    /// <summary>The event's description: librdkafka puts it in the payload, else its error code's text.</summary>
    public string ErrorReason => HasValue
        ? System.Text.Encoding.UTF8.GetString(Value)
        : Marshal.PtrToStringUTF8(Librdkafka.rd_kafka_err2str(Message.Error)) ?? Error.ToString();

    /// <summary>The event's error as Confluent.Kafka states it (a fatal error says so).</summary>
    public Error ToError() => new(Error, ErrorReason, Error == ErrorCode.Local_Fatal);

    /// <summary>The value of the record's last header named <paramref name="name"/>; false when there is none (or it has no value).</summary>
    public bool TryGetLastHeader(string name, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (Librdkafka.rd_kafka_message_headers(_message, out var headers) != 0
            || Librdkafka.rd_kafka_header_get_last(headers, name, out var bytes, out var size) != 0 || bytes == IntPtr.Zero)
            return false;
        value = new ReadOnlySpan<byte>((void*)bytes, checked((int)size));
        return true;
    }

    public void Dispose()
    {
        if (_message != IntPtr.Zero)
            Librdkafka.rd_kafka_message_destroy(_message);
    }
}
