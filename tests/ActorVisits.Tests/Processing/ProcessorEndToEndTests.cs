using System.Text;
using ActorVisits.Configuration;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>The processor against the embedded broker, checked against a reference recount of what was produced.</summary>
[Collection(KafkaCollection.Name)]
public sealed class ProcessorEndToEndTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference)
{
    private const int Partitions = 4;
    // Old event times: a replay, never moved by the wall clock, so the expected output does not depend on when the test runs.
    private static readonly DateTimeOffset Start = new(2019, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Final_counts_equal_a_recount_no_update_exceeds_the_truth_urls_keep_one_partition_and_bad_records_are_dead_lettered()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 11, count: 4000, urls: 40);
        var partitionOf = input.Produce(kafka.Client, run.Settings.InputTopic);

        var processor = run.Start(Sys);
        await run.CaughtUpAsync(processor, TimeSpan.FromSeconds(90));
        await run.StopAsync(processor);

        var expected = Reference.Recount(input, partitionOf, run.Settings.Windows);
        foreach (var window in run.Settings.Windows.Windows)
        {
            var records = TestRecords.ReadAll(kafka.Client, window.Topic, TimeSpan.FromSeconds(60));
            var updates = records.Select(r => (Record: r, Update: Parse(r))).ToList();

            Assert.All(updates.GroupBy(u => u.Update.Url), url => Assert.Single(url.Select(u => u.Record.Partition.Value).Distinct()));
            Assert.All(updates, u => Assert.Equal(u.Update.Url, u.Record.Message.Key));
            Assert.All(updates, u => Assert.True(u.Update.Count <= Reference.TrueCount(input, u.Update.Url, u.Update.WindowEnd, window.Seconds),
                $"{u.Update.Url} {window.Name} ending {u.Update.WindowEnd:O}: {u.Update.Count} is more than the visits in that window"));
            var last = updates.GroupBy(u => u.Update.Url).ToDictionary(g => g.Key, g => g.MaxBy(u => u.Record.Offset.Value).Update.Count);
            var expectedLast = expected.Where(e => e.Key.Window == window.Name).ToDictionary(e => e.Key.Url, e => e.Value);
            Assert.Equal(expectedLast.OrderBy(e => e.Key, StringComparer.Ordinal), last.OrderBy(e => e.Key, StringComparer.Ordinal));
        }

        var deadLetters = TestRecords.ReadAll(kafka.Client, run.Settings.DeadLetterTopic, TimeSpan.FromSeconds(30));
        Assert.Equal(input.Bad.Select(b => b.Index).Order(), deadLetters.Select(d => input.IndexAt(d)).Order());
        Assert.All(deadLetters, d => Assert.NotNull(d.Message.Headers.GetLastBytes("actorvisits.error")));
        Assert.Equal(input.Late.Count, processor.Metrics.Late);
        Assert.True(input.Late.Count > 0 && input.Bad.Count > 0 && input.OutOfOrder > 0, "the stream must hold late, bad and out-of-order records");
    }

    [Fact]
    public async Task A_processor_stopped_mid_stream_and_restarted_counts_every_visit_once()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 12, count: 6000, urls: 30);
        input.Produce(kafka.Client, run.Settings.InputTopic);

        var first = run.Start(Sys);
        await Eventually.HoldsAsync(() => first.Metrics.Visits >= 1000, TimeSpan.FromSeconds(60), () => $"1000 visits counted (got {first.Metrics.Visits})");
        await run.StopAsync(first);
        var second = run.Start(Sys);
        await run.CaughtUpAsync(second, TimeSpan.FromSeconds(90));
        await run.StopAsync(second);

        Assert.InRange(first.Metrics.Visits + first.Metrics.Late, 1000, input.Valid.Count - 1);
        // Drained and committed on stop: the restart resumes exactly after the first run's last visit.
        Assert.Equal(input.Valid.Count, first.Metrics.Visits + first.Metrics.Late + second.Metrics.Visits + second.Metrics.Late);
        Assert.Equal(input.Bad.Count, first.Metrics.DeadLettered + second.Metrics.DeadLettered);
    }

    private static (string Url, string Window, int Count, DateTimeOffset WindowEnd) Parse(ConsumeResult<string, byte[]> record)
    {
        Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out var window, out var count, out var windowEnd));
        Assert.Equal(windowEnd, record.Message.Timestamp.UtcDateTime);
        return (url, window, count, windowEnd);
    }

    /// <summary>
    /// Visits keyed by URL over a few minutes of event time, with out-of-order visits (up to 20 s back), late ones
    /// (10 min back), malformed records and visits far in the future.
    /// </summary>
    private sealed class InputStream
    {
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

        /// <summary>Produces every record keyed by URL; returns the partition of each URL.</summary>
        public Dictionary<string, int> Produce(ClientConfig client, string topic)
        {
            var settings = ProducerSettings<string, byte[]>.Create(client, Serializers.Utf8, Serializers.ByteArray);
            using var producer = new ProducerBuilder<string, byte[]>(settings.Config).Build();
            var partitionOf = new Dictionary<string, int>();
            var delivered = new List<(int Index, string Url, TopicPartitionOffset At)>();
            foreach (var (index, url, value, _) in Records)
            {
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

    private static class Reference
    {
        /// <summary>Per (URL, window): the visits of whole seconds floor(T)-N+1 .. floor(T), T the stream time of the URL's partition.</summary>
        public static Dictionary<(string Url, string Window), int> Recount(InputStream input, Dictionary<string, int> partitionOf, WindowSet windows)
        {
            var counted = input.Valid.Where(v => !input.Late.Contains(v.Index)).Select(v => v.Visit).ToList();
            var streamSecond = counted.GroupBy(v => partitionOf[v.Url]).ToDictionary(g => g.Key, g => g.Max(v => v.Timestamp.ToUnixTimeSeconds()));
            var result = new Dictionary<(string, string), int>();
            foreach (var url in counted.Select(v => v.Url).Distinct())
            {
                var now = streamSecond[partitionOf[url]];
                foreach (var window in windows.Windows)
                    result[(url, window.Name)] = counted.Count(v => v.Url == url && v.Timestamp.ToUnixTimeSeconds() > now - window.Seconds && v.Timestamp.ToUnixTimeSeconds() <= now);
            }
            return result;
        }

        /// <summary>Every valid visit of <paramref name="url"/> in the seconds [end - N, end), whenever it arrived.</summary>
        public static int TrueCount(InputStream input, string url, DateTimeOffset windowEnd, int seconds) =>
            input.Valid.Count(v => v.Visit.Url == url && v.Visit.Timestamp.ToUnixTimeSeconds() >= windowEnd.ToUnixTimeSeconds() - seconds
                                   && v.Visit.Timestamp.ToUnixTimeSeconds() < windowEnd.ToUnixTimeSeconds());
    }
}
