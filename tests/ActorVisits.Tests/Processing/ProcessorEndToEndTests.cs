using ActorVisits.Kafka.Settings;
using System.Text;
using ActorVisits.Configuration;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Processing;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>The processor against the embedded broker, checked against a reference recount of what was produced.</summary>
[Collection(KafkaCollection.Name)]
public sealed class ProcessorEndToEndTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference)
{
    private const int Partitions = 4;

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
        var truth = new TrueCounts(input);
        foreach (var window in run.Settings.Windows.Windows)
        {
            var records = TestRecords.ReadAll(kafka.Client, window.Topic, TimeSpan.FromSeconds(60));
            var updates = records.Select(r => (Record: r, Update: Parse(r))).ToList();

            Assert.All(updates.GroupBy(u => u.Update.Url), url => Assert.Single(url.Select(u => u.Record.Partition.Value).Distinct()));
            Assert.All(updates, u => Assert.Equal(u.Update.Url, u.Record.Message.Key));
            Assert.All(updates, u => Assert.True(u.Update.Count <= truth.Of(u.Update.Url, u.Update.WindowEnd, window.Seconds),
                $"{u.Update.Url} {window.Name} ending {u.Update.WindowEnd:O}: {u.Update.Count} is more than the visits in that window"));
            var last = updates.GroupBy(u => u.Update.Url).ToDictionary(g => g.Key, g => g.MaxBy(u => u.Record.Offset.Value).Update.Count);
            var expectedLast = expected.Where(e => e.Key.Window == window.Name).ToDictionary(e => e.Key.Url, e => e.Value);
            Assert.Equal(expectedLast.OrderBy(e => e.Key, StringComparer.Ordinal), last.OrderBy(e => e.Key, StringComparer.Ordinal));
        }

        var deadLetters = TestRecords.ReadAll(kafka.Client, run.Settings.DeadLetterTopic, TimeSpan.FromSeconds(30));
        Assert.Equal(input.Bad.Select(b => b.Index).Order(), deadLetters.Select(d => input.IndexAt(d)).Order());
        var reasons = deadLetters.ToDictionary(input.IndexAt, d => TestRecords.Text(d.Message.Headers.GetLastBytes("actorvisits.error")));
        Assert.All(input.Bad, bad => Assert.StartsWith(bad.Code + ": ", reasons[bad.Index], StringComparison.Ordinal));
        Assert.Equal(input.Late.Count, processor.Metrics.Late);
        Assert.Equal(input.Late.Order(), TestRecords.ReadAll(kafka.Client, run.Settings.LateTopic!, TimeSpan.FromSeconds(30)).Select(input.IndexAt).Order());
        Assert.Equal(0, processor.Metrics.NotKeyedByUrl);
        Assert.True(input.Late.Count > 0 && input.Bad.Count > 0 && input.OutOfOrder > 0, "the stream must hold late, bad and out-of-order records");
    }

    [Fact]
    public async Task A_processor_stopped_mid_stream_and_restarted_counts_every_visit_once()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 12, count: 6000, urls: 30);
        // The second half waits until the first processor has stopped, so that it surely stops mid-stream (a fast host
        // once counted all 6,000 records before the stop).
        var firstStopped = new TaskCompletionSource();
        var producing = Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, holdAt: (3000, firstStopped.Task)));

        var first = run.Start(Sys);
        await Eventually.HoldsAsync(() => first.Metrics.Visits >= 1000, TimeSpan.FromSeconds(60), () => $"1000 visits counted (got {first.Metrics.Visits})");
        await run.StopAsync(first);
        firstStopped.SetResult();
        await producing;
        var second = run.Start(Sys);
        await run.CaughtUpAsync(second, TimeSpan.FromSeconds(90));
        await run.StopAsync(second);

        Assert.InRange(first.Metrics.Visits + first.Metrics.Late, 1000, input.Valid.Count - 1);
        // Drained and committed on stop: the restart resumes exactly after the first run's last visit.
        Assert.Equal(input.Valid.Count, first.Metrics.Visits + first.Metrics.Late + second.Metrics.Visits + second.Metrics.Late);
        Assert.Equal(input.Bad.Count, first.Metrics.DeadLettered + second.Metrics.DeadLettered);
    }

    [Fact]
    public async Task Visits_whose_key_is_not_their_url_are_counted_and_reported()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var factory = new VisitFactory(new UrlCatalogue(20), new Random(5));
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig(new Dictionary<string, string>(kafka.Client))).Build())
        {
            for (var i = 0; i < 100; i++)
                producer.Produce(run.Settings.InputTopic, new Message<Null, byte[]> { Value = VisitJson.Serialize(factory.Next(InputStream.Start.AddSeconds(i))) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var processor = run.Start(Sys);
        await run.CaughtUpAsync(processor, TimeSpan.FromSeconds(60));
        await run.StopAsync(processor);

        Assert.Equal(100, processor.Metrics.Visits);
        Assert.Equal(100, processor.Metrics.NotKeyedByUrl);
        Assert.Contains("not keyed by their URL", processor.Metrics.ToString());
    }

    [Fact]
    public async Task A_partition_without_new_records_after_a_restart_is_rebuilt_and_its_counts_still_decay_to_zero()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var twentySeconds = new WindowSpec("20s", 20, await kafka.NewTopicAsync(Partitions, "out-20s"));
        var settings = run.Settings with
        {
            Windows = new WindowSet([new WindowSpec("5s", 5, await kafka.NewTopicAsync(Partitions, "out-5s")), twentySeconds]),
            IdleAdvance = TimeSpan.FromSeconds(1),
            TickInterval = TimeSpan.FromMilliseconds(250),
        };
        TestRecords.ProduceVisits(kafka.Client, settings.InputTopic, 400); // live: timestamped now
        var first = VisitProcessor.Start(Sys, run.KafkaSettings, settings);
        await run.CaughtUpAsync(first, TimeSpan.FromSeconds(60));
        await run.StopAsync(first);
        Assert.Contains(LastCounts(twentySeconds.Topic).Values, count => count > 0);

        // No record arrives after the restart: only the assignment can bring the windows back, and with them the decay.
        var second = VisitProcessor.Start(Sys, run.KafkaSettings, settings);
        try
        {
            await Eventually.HoldsAsync(() => LastCounts(twentySeconds.Topic).Values.All(count => count == 0), TimeSpan.FromSeconds(60),
                () => "every URL's 20 s window decayed to zero: " + string.Join(", ", LastCounts(twentySeconds.Topic).Where(c => c.Value > 0).Select(c => $"{c.Key}={c.Value}")));
            Assert.Equal(0, second.Metrics.Visits);
            Assert.True(second.Metrics.Rebuilds > 0);
        }
        finally
        {
            await run.StopAsync(second);
        }
    }

    [Fact]
    public async Task Queries_answer_the_counts_of_a_visited_url_and_zeros_for_a_url_whose_partition_never_had_a_record()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        // 30 live visits of one URL, keyed as MediaSeller's producers key (murmur2 of the URL, where queries look).
        var visited = Assert.Single(TestRecords.ProduceVisits(kafka.Client, run.Settings.InputTopic, 30, urls: 1).Select(v => v.Url).Distinct());
        var empty = Enumerable.Range(0, 100).Select(i => $"/store/books/{i}").First(url => PartitionOf(url) != PartitionOf(visited));

        var processor = run.Start(Sys);
        try
        {
            await run.CaughtUpAsync(processor, TimeSpan.FromSeconds(60));
            var counts = await AnsweredAsync(processor, visited);
            Assert.Equal(30, counts.Windows.Single(w => w.Window == "5mn").Count);
            // The group has no commit there and the partition no record: it is still this process's, with nothing counted.
            counts = await AnsweredAsync(processor, empty);
            Assert.All(counts.Windows, w => Assert.Equal(0, w.Count));
        }
        finally
        {
            await run.StopAsync(processor);
        }
    }

    private static int PartitionOf(string url) => KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(url), Partitions);

    private static async Task<ActorVisits.Actors.WindowsProtocol.UrlCounts> AnsweredAsync(VisitProcessor processor, string url)
    {
        ActorVisits.Actors.WindowsProtocol.UrlCounts? counts = null;
        await Eventually.HoldsAsync(() =>
        {
            counts = processor.Queries.QueryAsync(url, CancellationToken.None).GetAwaiter().GetResult();
            return counts.Available;
        }, TimeSpan.FromSeconds(30), () => $"{url} answered (last: {counts?.Unavailable})");
        return counts!;
    }

    private Dictionary<string, int> LastCounts(string topic) =>
        TestRecords.ReadAll(kafka.Client, topic, TimeSpan.FromSeconds(30)).Select(r => (Record: r, Update: Parse(r)))
            .GroupBy(u => u.Update.Url).ToDictionary(g => g.Key, g => g.MaxBy(u => u.Record.Offset.Value).Update.Count);

    private static (string Url, string Window, int Count, DateTimeOffset WindowEnd) Parse(ConsumeResult<string, byte[]> record)
    {
        Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out var window, out var count, out var windowEnd));
        Assert.Equal(windowEnd, record.Message.Timestamp.UtcDateTime);
        return (url, window, count, windowEnd);
    }
}
