using System.Diagnostics;
using System.Text.Json;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>
/// The loop a user would write without ActorVisits, as a peer in the same run: one thread, one consumer; per URL a
/// dictionary of visits per second; for each visit its URL's count over every window, each produced with acks=all
/// (idempotent) as a JSON update; after every poll batch (500 records or an empty poll) it waits for the acknowledgements
/// and commits, so that nothing is committed before its updates are in Kafka. Same semantics as the processor's output
/// (an update per window per visit, at-least-once), none of its machinery.
/// </summary>
internal static class NaiveLoop
{
    private const int BatchRecords = 500;

    /// <summary>Replays <paramref name="input"/> from its beginning to <paramref name="end"/> records; visits per second from the first record read to the last commit.</summary>
    public static double Replay(KafkaSettings kafka, string input, WindowSet windows, long end, CancellationToken stopping)
    {
        var consumerConfig = kafka.Consumer($"naive-{Guid.NewGuid():N}", Deserializers.ByteArray, Deserializers.ByteArray).Config;
        consumerConfig.AutoOffsetReset = AutoOffsetReset.Earliest;
        consumerConfig.EnableAutoCommit = false;
        var producerConfig = kafka.Producer(Serializers.ByteArray, Serializers.ByteArray).Config;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(consumerConfig).SetLogHandler(KafkaLog.For(consumerConfig)).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(producerConfig).SetLogHandler(KafkaLog.For(producerConfig)).Build();
        consumer.Subscribe(input);

        var seconds = new Dictionary<string, Dictionary<long, int>>(StringComparer.Ordinal);
        var streamSecond = long.MinValue;
        var longest = windows.Windows.Max(w => w.Seconds);
        long read = 0, failed = 0, inBatch = 0;
        Stopwatch? clock = null;
        Action<DeliveryReport<byte[], byte[]>> delivered = report =>
        {
            if (report.Error.IsError)
                Interlocked.Increment(ref failed);
        };
        while (read < end && !stopping.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is not null)
            {
                clock ??= Stopwatch.StartNew();
                read++;
                inBatch++;
                if (VisitJson.TryParse(record.Message.Value, out var visit, out _))
                {
                    var second = visit.Timestamp.ToUnixTimeSeconds();
                    streamSecond = Math.Max(streamSecond, second);
                    if (!seconds.TryGetValue(visit.Url, out var perSecond))
                        seconds[visit.Url] = perSecond = new Dictionary<long, int>();
                    perSecond[second] = perSecond.GetValueOrDefault(second) + 1;
                    foreach (var old in perSecond.Keys.Where(s => s <= streamSecond - longest).ToList())
                        perSecond.Remove(old);
                    foreach (var window in windows.Windows)
                    {
                        var count = perSecond.Where(s => s.Key > streamSecond - window.Seconds).Sum(s => s.Value);
                        var value = JsonSerializer.SerializeToUtf8Bytes(new
                        {
                            url = visit.Url, window = window.Name, count, windowEnd = DateTimeOffset.FromUnixTimeSeconds(streamSecond + 1),
                        });
                        PlainProduce.WaitingForRoom(producer, window.Topic, new Message<byte[], byte[]> { Key = record.Message.Key, Value = value }, delivered);
                    }
                }
                consumer.StoreOffset(record);
            }
            if (inBatch >= BatchRecords || (record is null && inBatch > 0) || read == end)
            {
                producer.Flush(TimeSpan.FromSeconds(60));
                if (Interlocked.Read(ref failed) > 0)
                    throw new InvalidOperationException("The naive loop's updates were refused.");
                consumer.Commit();
                inBatch = 0;
            }
        }
        var took = clock?.Elapsed ?? TimeSpan.Zero;
        consumer.Close();
        return read / took.TotalSeconds;
    }
}
