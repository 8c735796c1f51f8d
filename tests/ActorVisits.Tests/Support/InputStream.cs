using System.Text;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>
/// Visits keyed by URL over a few minutes of event time, with out-of-order visits (up to 20 s back), late ones
/// (10 min back), malformed records and visits far in the future; optionally a share of hostile records of every class
/// (<see cref="HostileVisits"/>) in between.
/// </summary>
public sealed class InputStream
{
    /// <summary>One record of the input: a valid visit (<paramref name="Visit"/>) or a bad record and the reason code its dead letter must carry.</summary>
    /// <summary>One input record; <paramref name="TimestampMs"/> is its Kafka timestamp when not the producer's clock.</summary>
    public sealed record Record(int Index, string Url, byte[]? Key, byte[]? Value, Headers? Headers, Visit? Visit, string? BadCode, long? TimestampMs = null);

    /// <summary>
    /// Kafka timestamps no <see cref="DateTimeOffset"/> holds, or nonsense, which any producer may put on a record:
    /// valid visits stamped with them must count like any other (hostile input only).
    /// </summary>
    public static readonly long[] OddRecordTimestamps = [long.MaxValue, 253_402_300_800_000 /* year 10000 */, 1 /* 1970 */];

    /// <summary>Old event times: a replay, never moved by the wall clock, so the expected output does not depend on when the test runs.</summary>
    public static readonly DateTimeOffset Start = new(2019, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<(int Partition, long Offset), int> _indexAt = [];

    private readonly Dictionary<int, TopicPartitionOffset> _offsetOf = [];

    public List<Record> Records { get; } = [];

    public List<(int Index, Visit Visit)> Valid { get; } = [];

    /// <summary>Records that are not valid visits, and the reason code of each one's dead letter.</summary>
    public List<(int Index, string Code)> Bad { get; } = [];

    /// <summary>The class of each hostile record (<see cref="HostileVisits.Classes"/>), by index.</summary>
    public Dictionary<int, string> HostileClass { get; } = [];

    public List<int> Late { get; } = [];

    public int OutOfOrder { get; private set; }

    /// <summary>
    /// <paramref name="count"/> records over <paramref name="urls"/> URLs, 60 ms of event time apart; a
    /// <paramref name="hostileShare"/> of them are hostile records, the classes taken in turn (the one near the
    /// brokers' size limit once: the embedded broker keeps about 5 MB per partition).
    /// </summary>
    public static InputStream Generate(int seed, int count, int urls, double hostileShare = 0)
    {
        var random = new Random(seed);
        var factory = new VisitFactory(new UrlCatalogue(urls), random);
        var stream = new InputStream();
        var nextClass = 0;
        for (var i = 0; i < count; i++)
        {
            var at = Start.AddMilliseconds(i * 60.0);
            var visit = factory.Next(at);
            var key = Encoding.UTF8.GetBytes(visit.Url);
            if (random.NextDouble() < hostileShare)
            {
                var kind = nextClass++ % HostileVisits.Classes.Count;
                if (HostileVisits.Classes[kind] == "near the brokers' limit" && nextClass > HostileVisits.Classes.Count)
                    kind = nextClass++ % HostileVisits.Classes.Count;
                var (hostileKey, value, headers, code) = HostileVisits.Record(kind, visit.Url, at, random);
                stream.Records.Add(new Record(i, visit.Url, hostileKey, value, headers, null, code));
                stream.Bad.Add((i, code));
                stream.HostileClass[i] = HostileVisits.Classes[kind];
                continue;
            }
            if (i % 97 == 50)
            {
                stream.Records.Add(new Record(i, visit.Url, key, "{\"url\":\"/oops\","u8.ToArray(), null, null, Rejection.NotJson));
                stream.Bad.Add((i, Rejection.NotJson));
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
            if (i % 89 == 40)
            {
                stream.Records.Add(new Record(i, visit.Url, key, VisitJson.Serialize(visit), null, null, Rejection.FutureTimestamp));
                stream.Bad.Add((i, Rejection.FutureTimestamp));
                continue;
            }
            if (hostileShare > 0 && i % 101 == 20)
            {
                // 90 s ahead of when its record was written (stamped an hour ago): in the future then, however much
                // later it is read, though long past by the wall clock.
                var written = DateTimeOffset.UtcNow.AddHours(-1);
                var ahead = visit with { Timestamp = written.AddSeconds(90) };
                stream.Records.Add(new Record(i, visit.Url, key, VisitJson.Serialize(ahead), null, null, Rejection.FutureTimestamp, written.ToUnixTimeMilliseconds()));
                stream.Bad.Add((i, Rejection.FutureTimestamp));
                continue;
            }
            var timestampMs = hostileShare > 0 && i % 101 == 70 ? OddRecordTimestamps[i / 101 % OddRecordTimestamps.Length] : (long?)null;
            stream.Records.Add(new Record(i, visit.Url, key, VisitJson.Serialize(visit), null, visit, null, timestampMs));
            stream.Valid.Add((i, visit));
        }
        return stream;
    }

    /// <summary>
    /// Produces every record (valid visits keyed by URL), all at once or paced at <paramref name="perSecond"/> as live
    /// traffic; with <paramref name="holdAt"/>, record <c>Index</c> and the ones after it wait until <c>Until</c>
    /// completes (two minutes at most). Returns the partition of each URL.
    /// </summary>
    public Dictionary<string, int> Produce(ClientConfig client, string topic, int? perSecond = null, (int Index, Task Until)? holdAt = null)
    {
        var settings = ProducerSettings<byte[], byte[]>.Create(client, Serializers.ByteArray, Serializers.ByteArray);
        // Room for the hostile record near the producer's default limit (the embedded broker takes it).
        settings.Config.MessageMaxBytes = 2_000_000;
        using var producer = new ProducerBuilder<byte[], byte[]>(settings.Config).Build();
        var partitionOf = new Dictionary<string, int>();
        var delivered = new List<(Record Record, TopicPartitionOffset At)>();
        string? refused = null;
        var pace = perSecond is { } rate ? new TrafficPace(rate) : null;
        foreach (var record in Records)
        {
            pace?.WaitFor(record.Index);
            if (holdAt is { } hold && record.Index == hold.Index && !hold.Until.Wait(TimeSpan.FromMinutes(2)))
                throw new TimeoutException($"Record {hold.Index} was held for two minutes: what it waited for did not happen.");
            // Idempotence keeps each partition in production order, which the late-visit reference relies on.
            var timestamp = record.TimestampMs is { } ms ? new Timestamp(ms, TimestampType.CreateTime) : Timestamp.Default;
            producer.Produce(topic, new Message<byte[], byte[]> { Key = record.Key!, Value = record.Value!, Headers = record.Headers, Timestamp = timestamp }, report =>
            {
                // Not asserted here: Confluent.Kafka swallows what a delivery handler throws.
                lock (delivered)
                {
                    if (report.Error.IsError)
                        refused ??= $"record {record.Index}: {report.Error.Reason}";
                    else
                        delivered.Add((record, report.TopicPartitionOffset));
                }
            });
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        lock (delivered)
            Assert.True(refused is null, $"the input was not all written: {refused}");
        foreach (var (record, at) in delivered)
        {
            _indexAt[(at.Partition.Value, at.Offset.Value)] = record.Index;
            _offsetOf[record.Index] = at;
            if (record.Visit is not null)
                partitionOf[record.Url] = at.Partition.Value;
        }
        ComputeLate(partitionOf);
        return partitionOf;
    }

    /// <summary>Where record <paramref name="index"/> was written.</summary>
    public TopicPartitionOffset OffsetOf(int index) => _offsetOf[index];

    /// <summary>The input record a dead letter or late copy came from, by its source headers.</summary>
    public int IndexAt<TKey>(ConsumeResult<TKey, byte[]> copy) =>
        _indexAt[(int.Parse(Encoding.UTF8.GetString(copy.Message.Headers.GetLastBytes("actorvisits.source.partition"))),
            long.Parse(Encoding.UTF8.GetString(copy.Message.Headers.GetLastBytes("actorvisits.source.offset"))))];

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
