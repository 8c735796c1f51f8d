using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// The real `actorvisits process` in a child process, killed with SIGKILL at random moments and restarted: each restart
/// rebuilds its partitions' windows from Kafka, so the final counts are those of an uninterrupted run.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class CrashRecoveryTests(EmbeddedKafkaFixture kafka)
{

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
            using var child = ChildProcessor.Start(run, ChildProcessor.QuickSessions);
            var killAt = Math.Min(run.Committed() + random.Next(500, 4_000), input.Records.Count - 3_000);
            await Eventually.HoldsAsync(() => !child.HasExited && run.Committed() >= killAt, TimeSpan.FromSeconds(60),
                () => $"the child processor committed {killAt} records (committed {run.Committed()}, exited: {child.HasExited})");
            child.Signal("KILL");
            await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
            Assert.True(run.Committed() < input.Records.Count, "killed mid-stream");
        }
        var partitionOf = await producing;
        string summary;
        using (var last = ChildProcessor.Start(run, ChildProcessor.QuickSessions))
        {
            await Eventually.HoldsAsync(() => !last.HasExited && run.Lag() == 0, TimeSpan.FromSeconds(90), "the last child processor caught up");
            last.Signal("TERM");
            await Eventually.CompletesAsync(last.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
            summary = await last.StandardError;
        }

        FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);
        Assert.Contains("partitions rebuilt from", summary);
    }
}
