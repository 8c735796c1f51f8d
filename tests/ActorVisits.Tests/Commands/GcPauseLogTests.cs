using ActorVisits.Benchmarking;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Commands;

public sealed class GcPauseLogTests
{
    /// <summary>
    /// Induced blocking collections are counted under their generation. The runtime's events reach the listener
    /// asynchronously, and the first may come before its session is on: each poll collects again until one is seen.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_blocking_collection_is_counted_under_its_generation(int generation)
    {
        var kind = generation == 1 ? GcPauseLog.Kind.Gen1 : GcPauseLog.Kind.BlockingGen2;
        var log = GcPauseLog.Instance;
        var before = log.Totals();

        await Eventually.HoldsAsync(() =>
        {
            GC.Collect(generation, GCCollectionMode.Forced, blocking: true);
            return log.Totals().Pauses[(int)kind] > before.Pauses[(int)kind];
        }, TimeSpan.FromSeconds(30), () => $"no {kind} pause counted: {GcPauseLog.Describe(before, log.Totals())}");

        var after = log.Totals();
        Assert.True(after.Milliseconds[(int)kind] > before.Milliseconds[(int)kind]);
        Assert.Contains(kind == GcPauseLog.Kind.Gen1 ? "gen1 " : "blocking gen2 ", GcPauseLog.Describe(before, after));
        // A blocking gen2 collection says why it ran: here, because it was induced.
        if (kind == GcPauseLog.Kind.BlockingGen2)
            Assert.Matches(@"blocking gen2 [\d,]+ ms in \d+ \([^)]*\binduced \d+", GcPauseLog.Describe(before, after));
    }
}
