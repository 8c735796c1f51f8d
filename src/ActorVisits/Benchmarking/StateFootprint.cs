using ActorVisits.Actors;
using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Benchmarking;

/// <summary>Managed memory held per active URL: its actor, mailbox, ring buffer, sums and its entry in the partition actor.</summary>
internal static class StateFootprint
{
    public static async Task<double> BytesPerActiveUrlAsync(ActorSystem system, int urls, CancellationToken stopping)
    {
        var at = DateTimeOffset.UtcNow;
        var before = Settled();
        var partition = system.ActorOf(PartitionActor.Props(WindowSet.Default, TimeSpan.FromSeconds(5)));
        for (var batch = 0; batch < urls && !stopping.IsCancellationRequested; batch += 1000)
        {
            var visits = Enumerable.Range(batch, Math.Min(1000, urls - batch))
                .Select(i => new VisitAt($"/store/catalogue/item/{i:D7}", at, at)).ToList();
            await partition.Ask<Updated>(new CountVisits(visits), TimeSpan.FromSeconds(30));
        }
        var after = Settled();
        await partition.GracefulStop(TimeSpan.FromSeconds(30));
        return (after - before) / (double)urls;
    }

    private static long Settled()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
