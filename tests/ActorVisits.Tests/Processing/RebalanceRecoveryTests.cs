using System.Text.RegularExpressions;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// Two `actorvisits process` children in one group on live traffic; one stops mid-stream and the survivor takes its
/// partitions, rebuilding their windows, so the final counts are those of a single uninterrupted processor.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed partial class RebalanceRecoveryTests(EmbeddedKafkaFixture kafka)
{
    private const int Partitions = 4;

    [Fact]
    public async Task When_one_of_two_processors_stops_the_survivor_rebuilds_its_partitions_and_the_final_counts_equal_a_recount()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        // 12,000 visits, 60 ms of event time apart. The last 3,000 wait until the second processor has left: the
        // take-over happens within the last five minutes of event time, so the final counts depend on the visits before it.
        var input = InputStream.Generate(seed: 41, count: 12_000, urls: 40);
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producing = Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, perSecond: 1_500, holdAt: (9_000, left.Task)));

        string survivorSummary, leavingSummary;
        using (var survivor = ChildProcessor.Start(run, ChildProcessor.QuickSessions))
        {
            await Eventually.HoldsAsync(() => survivor.Running && run.Committed() >= 2_000, TimeSpan.FromSeconds(60), "the first processor committed 2,000 records");
            using (var leaving = ChildProcessor.Start(run, ChildProcessor.QuickSessions))
            {
                // The group now splits the partitions between the two. The group's commits alone could come from the
                // first processor: wait until the second has rebuilt what it was given (its progress line says so).
                await Eventually.HoldsAsync(() => leaving.Running && Rebuilt(leaving.ErrorSoFar) > 0 && run.Committed() >= 8_000, TimeSpan.FromSeconds(60),
                    () => $"both processors count, 8,000 records committed (committed {run.Committed()}; second processor: {leaving.ErrorSoFar})");
                leaving.Signal("TERM");
                await Eventually.CompletesAsync(leaving.WaitForExitAsync(), TimeSpan.FromSeconds(30), "the second processor stopped");
                Assert.Equal(0, leaving.ExitCode);
                leavingSummary = await leaving.StandardError;
            }
            left.SetResult();
            Assert.True(run.Committed() < input.Records.Count, "stopped mid-stream");
            var partitionOf = await producing;
            await Eventually.HoldsAsync(() => survivor.Running && run.Lag() == 0, TimeSpan.FromSeconds(90), "the survivor caught up");
            survivor.Signal("TERM");
            await Eventually.CompletesAsync(survivor.WaitForExitAsync(), TimeSpan.FromSeconds(30), "the survivor stopped");
            survivorSummary = await survivor.StandardError;

            FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);
        }
        Assert.True(Rebuilt(leavingSummary) > 0, $"the second processor rebuilt the partitions it was given: {leavingSummary}");
        // Incremental rebalancing: the survivor kept its half when the second joined (no rebuild), and rebuilt the other
        // half when it took it back (its first assignment had no commits: nothing to rebuild).
        Assert.True(Rebuilt(survivorSummary) >= Rebuilt(leavingSummary), $"the survivor rebuilt the partitions it took over: {survivorSummary}");
    }

    private static int Rebuilt(string summary) =>
        RebuiltPattern().Matches(summary) is { Count: > 0 } matches ? int.Parse(matches[^1].Groups[1].Value) : 0;

    [GeneratedRegex(@"(\d+) partitions rebuilt from")]
    private static partial Regex RebuiltPattern();
}
