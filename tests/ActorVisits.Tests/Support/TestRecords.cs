using System.Text;
using ActorVisits.Entities;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>Produces and reads test records with plain Confluent.Kafka clients, independently of the stages under test.</summary>
public static class TestRecords
{
    /// <summary>Produces <paramref name="count"/> visits keyed by URL; returns them in production order.</summary>
    public static List<Visit> ProduceVisits(ClientConfig client, string topic, int count, int seed = 1, int urls = 50)
    {
        var factory = new VisitFactory(new UrlCatalogue(urls), new Random(seed));
        var visits = Enumerable.Range(0, count).Select(_ => factory.Next(DateTimeOffset.UtcNow)).ToList();
        var settings = ProducerSettings<string, byte[]>.Create(client, Serializers.Utf8, Serializers.ByteArray);
        using var producer = new ProducerBuilder<string, byte[]>(settings.Config).Build();
        string? refused = null;
        foreach (var visit in visits)
            producer.Produce(topic, new Message<string, byte[]> { Key = visit.Url, Value = VisitJson.Serialize(visit) }, report =>
            {
                if (report.Error.IsError)
                    Interlocked.CompareExchange(ref refused, report.Error.Reason, null);
            });
        if (producer.Flush(TimeSpan.FromSeconds(30)) != 0)
            throw new InvalidOperationException("Test records were not all acknowledged.");
        if (refused is not null)
            throw new InvalidOperationException($"Test records were refused: {refused}");
        return visits;
    }

    /// <summary>Reads every record of <paramref name="topic"/> from the start (no group), up to the end offsets seen now.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadAll(ClientConfig client, string topic, TimeSpan within) =>
        ReadAll(client, topic, within, Deserializers.Utf8);

    /// <summary>As <see cref="ReadAll(ClientConfig, string, TimeSpan)"/>, keys as they are (they may not be UTF-8).</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadAllRaw(ClientConfig client, string topic, TimeSpan within) =>
        ReadAll(client, topic, within, Deserializers.ByteArray);

    private static List<ConsumeResult<TKey, byte[]>> ReadAll<TKey>(ClientConfig client, string topic, TimeSpan within, IDeserializer<TKey> keys)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(client)) { GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false };
        using var consumer = new ConsumerBuilder<TKey, byte[]>(config).SetKeyDeserializer(keys).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>(client))).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)));
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, ends[p].Low)));
        var remaining = partitions.Where(p => ends[p].High > ends[p].Low).ToHashSet();
        var records = new List<ConsumeResult<TKey, byte[]>>();
        var deadline = DateTime.UtcNow + within;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Reading {topic} did not reach its end offsets within {within.TotalSeconds:0} s.");
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null)
                continue;
            records.Add(record);
            if (record.Offset.Value + 1 >= ends[record.TopicPartition].High)
                remaining.Remove(record.TopicPartition);
        }
        return records;
    }

    public static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);
}
