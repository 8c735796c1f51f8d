using ActorVisits.Entities.Windows;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// The real `actorvisits process` in a child process, killed with SIGKILL at random moments and restarted: each restart
/// rebuilds its partitions' windows from Kafka, so the final counts are those of an uninterrupted run.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class CrashRecoveryTests(EmbeddedKafkaFixture kafka)
{
    // A member killed without leaving stays in the group until its session times out; the next one waits for that.
    private static readonly string[] QuickSessions = ["-X", "session.timeout.ms=2000", "-X", "heartbeat.interval.ms=300"];

    [Fact]
    public async Task Killed_three_times_at_random_moments_then_run_to_the_end_the_final_counts_equal_a_recount()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 3);
        var input = InputStream.Generate(seed: 31, count: 30_000, urls: 40);
        // Live traffic: the kills land while visits are still arriving, at moments chosen at random.
        var producing = Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, perSecond: 3_000));
        var random = new Random(31);

        for (var kill = 0; kill < 3; kill++)
        {
            using var child = ChildProcessor.Start(run, QuickSessions);
            var killAt = Math.Min(run.Committed() + random.Next(500, 4_000), input.Records.Count - 1_000);
            await Eventually.HoldsAsync(() => !child.HasExited && run.Committed() >= killAt, TimeSpan.FromSeconds(60),
                () => $"the child processor committed {killAt} records (committed {run.Committed()}, exited: {child.HasExited})");
            child.Signal("KILL");
            await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
            Assert.True(run.Committed() < input.Records.Count, "killed mid-stream");
        }
        var partitionOf = await producing;
        string summary;
        using (var last = ChildProcessor.Start(run, QuickSessions))
        {
            await Eventually.HoldsAsync(() => !last.HasExited && run.Lag() == 0, TimeSpan.FromSeconds(90), "the last child processor caught up");
            last.Signal("TERM");
            await Eventually.CompletesAsync(last.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGTERM");
            summary = await last.StandardError;
        }

        var expected = Reference.Recount(input, partitionOf, run.Settings.Windows);
        var truth = new TrueCounts(input);
        foreach (var window in run.Settings.Windows.Windows)
        {
            var updates = TestRecords.ReadAll(kafka.Client, window.Topic, TimeSpan.FromSeconds(60)).Select(Parse).ToList();
            // A visit counted twice (replayed and read again live) would show as a count above the truth.
            Assert.All(updates, u => Assert.True(u.Count <= truth.Of(u.Url, u.WindowEnd, window.Seconds),
                $"{u.Url} {window.Name} ending {u.WindowEnd:O}: {u.Count} is more than the visits in that window"));
            var last = updates.GroupBy(u => u.Url).ToDictionary(g => g.Key, g => g.MaxBy(u => u.Offset).Count);
            var expectedLast = expected.Where(e => e.Key.Window == window.Name).ToDictionary(e => e.Key.Url, e => e.Value);
            Assert.Equal(expectedLast.OrderBy(e => e.Key, StringComparer.Ordinal), last.OrderBy(e => e.Key, StringComparer.Ordinal));
        }
        Assert.Contains("partitions rebuilt from", summary);
    }

    private static (string Url, int Count, DateTimeOffset WindowEnd, long Offset) Parse(ConsumeResult<string, byte[]> record)
    {
        Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out _, out var count, out var windowEnd));
        return (url, count, windowEnd, record.Offset.Value);
    }
}
