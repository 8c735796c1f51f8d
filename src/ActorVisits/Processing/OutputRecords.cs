using System.Globalization;
using System.Text;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Messages;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>The records the processor produces: window updates keyed by URL, and dead letters.</summary>
internal static class OutputRecords
{
    public const string ReasonHeader = "actorvisits.error";
    public const string SourceTopicHeader = "actorvisits.source.topic";
    public const string SourcePartitionHeader = "actorvisits.source.partition";
    public const string SourceOffsetHeader = "actorvisits.source.offset";

    /// <summary>
    /// To each window's topic, keyed by URL (so a URL's updates share one partition), timestamped at the window's end.
    /// The updates of one URL come together, so consecutive records share one key array.
    /// </summary>
    public static void AddUpdates(List<ProducerRecord<byte[], byte[]>> records, IReadOnlyList<WindowUpdate> updates)
    {
        string? url = null;
        byte[] key = [];
        foreach (var update in updates)
        {
            if (!ReferenceEquals(update.Url, url))
            {
                url = update.Url;
                key = Encoding.UTF8.GetBytes(url);
            }
            records.Add(new ProducerRecord<byte[], byte[]>(update.Window.Topic, new Message<byte[], byte[]>
            {
                Key = key,
                Value = WindowUpdateJson.Serialize(update),
                Timestamp = new Timestamp(update.WindowEnd),
            }));
        }
    }

    /// <summary>
    /// A valid visit re-keyed by its URL for the repartition topic: the original bytes and timestamp, with headers naming
    /// the source partition and offset, by which the counting side recognises the copies a restart produces again.
    /// </summary>
    public static ProducerRecord<byte[], byte[]> Repartitioned(string topic, ConsumeResult<byte[], byte[]> source, string url) =>
        new(topic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(url),
            Value = source.Message.Value,
            Timestamp = source.Message.Timestamp.Type == TimestampType.NotAvailable
                ? Timestamp.Default
                : new Timestamp(source.Message.Timestamp.UnixTimestampMs, TimestampType.CreateTime),
            Headers = new Headers
            {
                { SourcePartitionHeader, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
                { SourceOffsetHeader, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
            },
        });

    /// <summary>The source partition and offset of a repartitioned record; (-1, -1) for a record read from the input itself.</summary>
    public static (int Partition, long Offset) SourceOf(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(SourcePartitionHeader, out var partition) || !headers.TryGetLastBytes(SourceOffsetHeader, out var offset))
            return (-1, -1);
        return int.TryParse(Encoding.UTF8.GetString(partition), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
               && long.TryParse(Encoding.UTF8.GetString(offset), NumberStyles.None, CultureInfo.InvariantCulture, out var o)
            ? (p, o)
            : (-1, -1);
    }

    /// <summary>The original key and bytes, with headers naming the reason and where the record came from.</summary>
    public static ProducerRecord<byte[], byte[]> DeadLetter(string topic, ConsumeResult<byte[], byte[]> source, string reason) =>
        new(topic, new Message<byte[], byte[]>
        {
            Key = source.Message.Key,
            Value = source.Message.Value,
            Timestamp = source.Message.Timestamp.Type == TimestampType.NotAvailable
                ? Timestamp.Default
                : new Timestamp(source.Message.Timestamp.UnixTimestampMs, TimestampType.CreateTime),
            Headers = new Headers
            {
                { ReasonHeader, Encoding.UTF8.GetBytes(reason) },
                { SourceTopicHeader, Encoding.UTF8.GetBytes(source.Topic) },
                { SourcePartitionHeader, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
                { SourceOffsetHeader, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
            },
        });
}
