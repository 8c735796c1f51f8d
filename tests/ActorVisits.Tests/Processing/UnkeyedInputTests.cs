using System.Text;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// Visits published without a key, counted with <c>repartition = on</c> by real `actorvisits process` children: every
/// visit is re-keyed by URL through the repartition topic, so each URL has one owner and one clock, and the copies a
/// killed member's successor produces again are counted once. The final counts are those of the visits in each window
/// at the end of their URL's partition of the repartition topic.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class UnkeyedInputTests(EmbeddedKafkaFixture kafka)
{
    private const int Partitions = 4;

    [Fact]
    public void The_copies_producer_is_gapless_so_that_a_copy_that_timed_out_is_never_followed_by_a_later_one()
    {
        var producer = ActorVisits.Processing.VisitRepartitioner.CopyProducer(KafkaSettings.FromConfig(ActorVisits.Configuration.HostConfig.Reference));

        Assert.True(producer.Config.EnableGaplessGuarantee);
        Assert.True(producer.Config.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Config.Acks);
        // librdkafka takes it as it is set (with idempotence, as it requires).
        Assert.Null(ActorVisits.Kafka.Native.PropertyCheck.FirstRefused(producer.Config));
    }

    [Fact]
    public async Task One_process_killed_and_restarted_counts_unkeyed_visits_exactly_once()
    {
        var (run, repartition) = await CreateRunAsync();
        var visits = Visits(count: 8_000, seed: 51);
        // The first 3,000 visits only, until the kill: the first child then stops with 1,000 re-keyed visits past its
        // commit, whatever the pace at which it catches up, so the kill cannot miss them.
        var producing = Task.Run(() => ProduceUnkeyed(run.Settings.InputTopic, visits[..3_000], perSecond: 1_500));

        // Commits every 2,000 records only: killed between two commits, the child leaves re-keyed visits whose input
        // offsets are not committed, which its successor re-keys again.
        using (var first = Start(run, repartition, "actorvisits.kafka.committer { max-batch = 2000, max-interval = 60s }"))
        {
            await Eventually.HoldsAsync(() => !first.HasExited && run.Committed() >= 2_000 && UncommittedCopies(run, repartition) >= 200,
                TimeSpan.FromSeconds(60), "the first child committed 2,000 re-keyed visits and re-keyed 200 more");
            first.Signal("KILL");
            await Eventually.CompletesAsync(first.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
        }
        Assert.True(UncommittedCopies(run, repartition) > 0, "the killed child left re-keyed visits uncommitted");
        await producing;
        await Task.Run(() => ProduceUnkeyed(run.Settings.InputTopic, visits[3_000..], perSecond: 1_500));
        var summary = await RunToTheEndAsync(run, repartition, Start(run, repartition));

        AssertFinalCounts(run, repartition, visits);
        Assert.Matches(@"copies skipped [1-9]", summary);
    }

    [Fact]
    public async Task Two_processes_one_killed_mid_stream_count_unkeyed_visits_exactly_once()
    {
        var (run, repartition) = await CreateRunAsync();
        var visits = Visits(count: 8_000, seed: 52);
        var producing = Task.Run(() => ProduceUnkeyed(run.Settings.InputTopic, visits, perSecond: 1_500));

        using var survivor = Start(run, repartition);
        using (var killed = Start(run, repartition))
        {
            await Eventually.HoldsAsync(() => !killed.HasExited && run.Committed() >= 3_500, TimeSpan.FromSeconds(60), "both children re-keyed 3,500 visits");
            killed.Signal("KILL");
            await Eventually.CompletesAsync(killed.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
        }
        await producing;
        await RunToTheEndAsync(run, repartition, survivor);

        AssertFinalCounts(run, repartition, visits);
    }

    private async Task<(ProcessorRun Run, string RepartitionTopic)> CreateRunAsync()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        // The embedded broker has no CreateTopics; on a real cluster the processor creates it.
        return (run, await kafka.NewTopicAsync(Partitions, "repartition"));
    }

    private static ChildProcessor Start(ProcessorRun run, string repartitionTopic, string extraConfig = "") =>
        ChildProcessor.Start(run, ChildProcessor.QuickSessions, $$"""
            actorvisits.processor { repartition = on, repartition-topic = "{{repartitionTopic}}" }
            {{extraConfig}}
            """);

    /// <summary>Waits until both groups have committed everything, stops the child with SIGTERM, returns its last lines.</summary>
    private async Task<string> RunToTheEndAsync(ProcessorRun run, string repartitionTopic, ChildProcessor child)
    {
        using (child)
        {
            await Eventually.HoldsAsync(() => !child.HasExited && run.Lag() == 0 && CountingLag(run, repartitionTopic) == 0,
                TimeSpan.FromSeconds(90), "every visit re-keyed and counted");
            child.Signal("TERM");
            await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
            Assert.Equal(0, child.ExitCode);
            return await child.StandardError;
        }
    }

    /// <summary>Visits re-keyed (in the repartition topic) whose input offsets are not committed yet.</summary>
    private long UncommittedCopies(ProcessorRun run, string repartitionTopic) =>
        CountingOffsets(run, repartitionTopic).Sum(p => p.End) - run.Committed();

    private long CountingLag(ProcessorRun run, string repartitionTopic) => CountingOffsets(run, repartitionTopic).Sum(p => p.Lag);

    /// <summary>The counting group's offsets on the repartition topic, with the topic's end offsets.</summary>
    private IReadOnlyList<PartitionLag> CountingOffsets(ProcessorRun run, string repartitionTopic) =>
        kafka.Broker.DescribeGroupOffsetsAsync($"{run.Settings.GroupId}.by-url", repartitionTopic, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Visits in event-time order, 40 ms apart, over 30 URLs: none is late in any interleaving of the input
    /// partitions, so the final count of a (URL, window) is the number of its visits in the window that ends at the
    /// latest second of its partition of the repartition topic.
    /// </summary>
    private static List<Visit> Visits(int count, int seed)
    {
        var factory = new VisitFactory(new UrlCatalogue(30), new Random(seed));
        return Enumerable.Range(0, count).Select(i => factory.Next(InputStream.Start.AddMilliseconds(i * 40.0))).ToList();
    }

    private void ProduceUnkeyed(string topic, List<Visit> visits, int perSecond)
    {
        var settings = ProducerSettings<Null, byte[]>.Create(kafka.Client, Serializers.Null, Serializers.ByteArray);
        using var producer = new ProducerBuilder<Null, byte[]>(settings.Config).Build();
        var pace = new TrafficPace(perSecond);
        string? refused = null;
        for (var i = 0; i < visits.Count; i++)
        {
            pace.WaitFor(i);
            // Not asserted in the handler: Confluent.Kafka swallows what a delivery handler throws.
            producer.Produce(topic, new Message<Null, byte[]> { Value = VisitJson.Serialize(visits[i]) }, report =>
            {
                if (report.Error.IsError)
                    Interlocked.CompareExchange(ref refused, report.Error.Reason, null);
            });
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        Assert.True(refused is null, $"the input was not all written: {refused}");
    }

    /// <summary>The last update of every (URL, window) is the expected count, and no update exceeds the visits in its window.</summary>
    private void AssertFinalCounts(ProcessorRun run, string repartitionTopic, List<Visit> visits)
    {
        var partitionOf = visits.Select(v => v.Url).Distinct().ToDictionary(u => u, u => KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(u), Partitions));
        var seconds = visits.GroupBy(v => v.Url).ToDictionary(g => g.Key, g => g.Select(v => v.Timestamp.ToUnixTimeSeconds()).ToList());
        var streamEnd = visits.GroupBy(v => partitionOf[v.Url]).ToDictionary(g => g.Key, g => g.Max(v => v.Timestamp.ToUnixTimeSeconds()));
        int InWindow(string url, long end, int length) => seconds[url].Count(s => s > end - length && s <= end);

        foreach (var window in run.Settings.Windows.Windows)
        {
            var last = new Dictionary<string, int>();
            foreach (var record in TestRecords.ReadAll(kafka.Client, window.Topic, TimeSpan.FromSeconds(60)).OrderBy(r => r.Offset.Value))
            {
                Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out _, out var count, out var windowEnd));
                var end = windowEnd.ToUnixTimeSeconds() - 1;
                Assert.True(count <= InWindow(url, end, window.Seconds), $"{url} {window.Name} ending {windowEnd:O}: {count} is more than the visits in that window");
                last[url] = count;
            }
            var expected = seconds.Keys.ToDictionary(u => u, u => InWindow(u, streamEnd[partitionOf[u]], window.Seconds))
                .Where(e => e.Value > 0 || last.ContainsKey(e.Key));
            Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), last.OrderBy(e => e.Key, StringComparer.Ordinal));
        }
    }
}
