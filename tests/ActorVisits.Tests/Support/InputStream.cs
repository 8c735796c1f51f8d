using System.Text;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>
/// Visits keyed by URL over a few minutes of event time, with out-of-order visits (up to 20 s back), late ones
/// (10 min back), malformed records and visits far in the future.
/// </summary>
public sealed class InputStream
{
    /// <summary>Old event times: a replay, never moved by the wall clock, so the expected output does not depend on when the test runs.</summary>
    public static readonly DateTimeOffset Start = new(2019, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<(int Partition, long Offset), int> _indexAt = [];

    public List<(int Index, string Url, byte[] Value, Visit? Visit)> Records { get; } = [];

    public List<(int Index, Visit Visit)> Valid { get; } = [];

    public List<(int Index, string Url)> Bad { get; } = [];

    public List<int> Late { get; } = [];

    public int OutOfOrder { get; private set; }

    public static InputStream Generate(int seed, int count, int urls)
    {
        var random = new Random(seed);
        var factory = new VisitFactory(new UrlCatalogue(urls), random);
        var stream = new InputStream();
        for (var i = 0; i < count; i++)
        {
            var at = Start.AddMilliseconds(i * 60.0);
            var visit = factory.Next(at);
            if (i % 97 == 50)
            {
                stream.Records.Add((i, visit.Url, "{\"url\":\"/oops\","u8.ToArray(), null));
                stream.Bad.Add((i, visit.Url));
                continue;
            }
            if (i % 89 == 40)
                visit = visit with { Timestamp = DateTimeOffset.UtcNow.AddDays(365) };
            else if (i % 53 == 30)
                visit = visit with { Timestamp = at.AddMinutes(-10) };
            else if (random.Next(5) == 0)
            {
                visit = visit with { Timestamp = at.AddSeconds(-random.Next(1, 21)) };
                stream.OutOfOrder++;
            }
            stream.Records.Add((i, visit.Url, VisitJson.Serialize(visit), visit));
            if (i % 89 == 40)
                stream.Bad.Add((i, visit.Url));
            else
                stream.Valid.Add((i, visit));
        }
        return stream;
    }

    /// <summary>
    /// Produces every record keyed by URL, all at once or paced at <paramref name="perSecond"/> as live traffic;
    /// returns the partition of each URL.
    /// </summary>
    public Dictionary<string, int> Produce(ClientConfig client, string topic, int? perSecond = null)
    {
        var settings = ProducerSettings<string, byte[]>.Create(client, Serializers.Utf8, Serializers.ByteArray);
        using var producer = new ProducerBuilder<string, byte[]>(settings.Config).Build();
        var partitionOf = new Dictionary<string, int>();
        var delivered = new List<(int Index, string Url, TopicPartitionOffset At)>();
        var pace = perSecond is { } rate ? new TrafficPace(rate) : null;
        foreach (var (index, url, value, _) in Records)
        {
            pace?.WaitFor(index);
            // Idempotence keeps each partition in production order, which the late-visit reference relies on.
            producer.Produce(topic, new Message<string, byte[]> { Key = url, Value = value }, report =>
            {
                Assert.False(report.Error.IsError, report.Error.Reason);
                lock (delivered)
                    delivered.Add((index, url, report.TopicPartitionOffset));
            });
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        foreach (var (index, url, at) in delivered)
        {
            _indexAt[(at.Partition.Value, at.Offset.Value)] = index;
            partitionOf[url] = at.Partition.Value;
        }
        ComputeLate(partitionOf);
        return partitionOf;
    }

    public int IndexAt(ConsumeResult<string, byte[]> deadLetter) =>
        _indexAt[(int.Parse(Encoding.UTF8.GetString(deadLetter.Message.Headers.GetLastBytes("actorvisits.source.partition"))),
            long.Parse(Encoding.UTF8.GetString(deadLetter.Message.Headers.GetLastBytes("actorvisits.source.offset"))))];

    /// <summary>Which valid visits arrive after their second left the longest window of their partition's stream time.</summary>
    private void ComputeLate(Dictionary<string, int> partitionOf)
    {
        var streamSecond = new Dictionary<int, long>();
        foreach (var (index, visit) in Valid)
        {
            var partition = partitionOf[visit.Url];
            var second = visit.Timestamp.ToUnixTimeSeconds();
            if (streamSecond.TryGetValue(partition, out var now) && second <= now - WindowSet.Default.LongestSeconds)
                Late.Add(index);
            else
                streamSecond[partition] = Math.Max(second, streamSecond.GetValueOrDefault(partition, long.MinValue));
        }
    }
}
