using System.Globalization;
using System.Text;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Messages;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>The records the processor produces: window updates keyed by URL, dead letters and late visits.</summary>
internal static class OutputRecords
{
    public const string ReasonHeader = "actorvisits.error";
    public const string SourceTopicHeader = "actorvisits.source.topic";
    public const string SourcePartitionHeader = "actorvisits.source.partition";
    public const string SourceOffsetHeader = "actorvisits.source.offset";
    public const string StreamTimeHeader = "actorvisits.late.stream-time";
    public const string LatenessHeader = "actorvisits.late.lateness-ms";
    public const string TruncatedHeader = "actorvisits.truncated";
    public const string OriginalKeyBytesHeader = "actorvisits.original.key.bytes";
    public const string OriginalValueBytesHeader = "actorvisits.original.value.bytes";
    public const string OriginalHeadersBytesHeader = "actorvisits.original.headers.bytes";

    /// <summary>Longest reason written in a header, in characters: an exception message can be long.</summary>
    private const int MaxReasonChars = 1000;

    /// <summary>
    /// Room left in a copy's size limit for what librdkafka adds per record (length, attributes, varints) and for the
    /// headers saying the copy was cut.
    /// </summary>
    private const int RecordOverheadBytes = 512;

    /// <summary>
    /// What a record header costs beyond its name and value: two varint lengths (at most 5 bytes each). Counted per
    /// header, since a record may carry hundreds of them.
    /// </summary>
    private const int HeaderFramingBytes = 10;

    /// <summary>A record of bytes (a dead letter, a late copy) as the processor's producer takes it.</summary>
    public static ProducerRecord<byte[], OutputValue> AsOutput(ProducerRecord<byte[], byte[]> record) =>
        new(record.Topic, record.Key, OutputValue.Of(record.Value), record.Timestamp, record.Headers);

    /// <summary>
    /// A valid visit re-keyed by its URL for the repartition topic: the original bytes and timestamp, with headers naming
    /// the source partition and offset, by which the counting side recognises the copies a restart produces again.
    /// </summary>
    public static ProducerRecord<byte[], byte[]> Repartitioned(string topic, ConsumeResult<byte[], byte[]> source, string url) =>
        new(topic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(url),
            Value = source.Message.Value,
            Timestamp = SourceTimestamp(source),
            Headers = new Headers
            {
                { SourcePartitionHeader, Number(source.Partition.Value) },
                { SourceOffsetHeader, Number(source.Offset.Value) },
            },
        });

    /// <summary>
    /// The source partition and offset of a repartitioned record; (-1, -1) when its headers do not name them (only
    /// records of the repartition topic are asked: on the input, such headers are anybody's and mean nothing).
    /// </summary>
    public static (int Partition, long Offset) SourceOf(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(SourcePartitionHeader, out var partition) && headers.TryGetLastBytes(SourceOffsetHeader, out var offset)
        && partition is not null && offset is not null
            ? SourceOf(partition, offset)
            : (-1, -1);

    /// <summary>The source partition and offset from the values of the two headers; (-1, -1) when they are not numbers.</summary>
    public static (int Partition, long Offset) SourceOf(ReadOnlySpan<byte> partition, ReadOnlySpan<byte> offset) =>
        int.TryParse(partition, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
        && long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out var o)
            ? (p, o)
            : (-1, -1);

    /// <summary>
    /// The original key, bytes and headers, with headers naming the reason and where the record came from; cut to
    /// <paramref name="maxBytes"/> when it would be larger (<see cref="Fit"/>).
    /// </summary>
    public static ProducerRecord<byte[], byte[]> DeadLetter(string topic, ConsumeResult<byte[], byte[]> source, Rejection reason, int maxBytes)
    {
        var text = reason.ToString();
        return Copy(topic, source, maxBytes,
            (ReasonHeader, Encoding.UTF8.GetBytes(text.Length > MaxReasonChars ? text[..MaxReasonChars] : text)));
    }

    /// <summary>
    /// A late visit's copy: original key, bytes and headers, with headers naming where it came from, its partition's
    /// stream time (the second its lateness was judged at) and how far behind it the visit is.
    /// </summary>
    public static ProducerRecord<byte[], byte[]> Late(string topic, ConsumeResult<byte[], byte[]> source, DateTimeOffset eventTime, long streamSecond, int maxBytes)
    {
        var streamTime = DateTimeOffset.FromUnixTimeSeconds(streamSecond);
        return Copy(topic, source, maxBytes,
            (StreamTimeHeader, Encoding.UTF8.GetBytes(VisitJson.FormatTimestamp(streamTime))),
            (LatenessHeader, Number((long)(streamTime - eventTime).TotalMilliseconds)));
    }

    private static ProducerRecord<byte[], byte[]> Copy(string topic, ConsumeResult<byte[], byte[]> source, int maxBytes, params (string Name, byte[] Value)[] added)
    {
        (string, byte[])[] provenance =
        [
            .. added,
            (SourceTopicHeader, Encoding.UTF8.GetBytes(source.Topic)),
            (SourcePartitionHeader, Number(source.Partition.Value)),
            (SourceOffsetHeader, Number(source.Offset.Value)),
        ];
        var (key, value, original, cut) = Fit(source.Message.Key, source.Message.Value, source.Message.Headers, HeadersSize(provenance), maxBytes);
        var headers = new Headers();
        foreach (var header in original)
            headers.Add(header.Key, header.GetValueBytes());
        foreach (var (name, bytes) in provenance)
            headers.Add(name, bytes);
        if (cut is not null)
        {
            headers.Add(TruncatedHeader, Encoding.UTF8.GetBytes(cut));
            headers.Add(OriginalKeyBytesHeader, Number(source.Message.Key?.Length ?? 0));
            headers.Add(OriginalValueBytesHeader, Number(source.Message.Value?.Length ?? 0));
            headers.Add(OriginalHeadersBytesHeader, Number(ContentSize(source.Message.Headers)));
        }
        return new ProducerRecord<byte[], byte[]>(topic, new Message<byte[], byte[]>
        {
            // A missing key or value (a tombstone) stays missing in the copy.
            Key = key!,
            Value = value!,
            Timestamp = SourceTimestamp(source),
            Headers = headers,
        });
    }

    /// <summary>
    /// Key, value and original headers of a copy that, with <paramref name="addedBytes"/> of headers of its own, holds in
    /// <paramref name="maxBytes"/>: the value is cut first, then the original headers dropped, then the key cut.
    /// <c>Cut</c> names what was cut (<c>value</c>, <c>value,headers</c>, <c>value,headers,key</c>), or is null.
    /// </summary>
    internal static (byte[]? Key, byte[]? Value, IReadOnlyList<IHeader> Headers, string? Cut) Fit(
        byte[]? key, byte[]? value, Headers? headers, int addedBytes, int maxBytes)
    {
        IReadOnlyList<IHeader> original = headers is null ? [] : headers.ToList();
        var budget = maxBytes - RecordOverheadBytes - addedBytes;
        var keyBytes = key?.Length ?? 0;
        var headerBytes = HeadersSize(headers);
        if (keyBytes + (value?.Length ?? 0) + headerBytes <= budget)
            return (key, value, original, null);
        var forValue = budget - keyBytes - headerBytes;
        if (forValue >= 0)
            return (key, value![..forValue], original, "value");
        if (keyBytes <= budget)
            return (key, [], [], "value,headers");
        return (key![..Math.Max(0, budget)], [], [], "value,headers,key");
    }

    /// <summary>What the headers take in a record: names, values and each one's framing.</summary>
    private static int HeadersSize(Headers? headers) => headers is null ? 0 : ContentSize(headers) + headers.Count * HeaderFramingBytes;

    /// <summary>The headers' names and values, as the original size is told.</summary>
    private static int ContentSize(Headers? headers) =>
        headers is null ? 0 : headers.Sum(h => Encoding.UTF8.GetByteCount(h.Key) + (h.GetValueBytes()?.Length ?? 0));

    private static int HeadersSize(IEnumerable<(string Name, byte[] Value)> headers) =>
        headers.Sum(h => HeaderFramingBytes + Encoding.UTF8.GetByteCount(h.Name) + h.Value.Length);

    private static Timestamp SourceTimestamp(ConsumeResult<byte[], byte[]> source) =>
        source.Message.Timestamp.Type == TimestampType.NotAvailable
            ? Timestamp.Default
            : new Timestamp(source.Message.Timestamp.UnixTimestampMs, TimestampType.CreateTime);

    private static byte[] Number(long value) => Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}
