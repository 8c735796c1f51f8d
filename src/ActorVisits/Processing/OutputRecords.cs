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
