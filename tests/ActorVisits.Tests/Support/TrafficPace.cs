using System.Diagnostics;

namespace ActorVisits.Tests.Support;

/// <summary>
/// Paces produced records as live traffic: record n is due n / rate seconds after the first. This spaces out the
/// traffic; it does not wait for anything to happen, so it is not a synchronisation sleep.
/// </summary>
public sealed class TrafficPace(int perSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Returns once record <paramref name="index"/> is due (checked every 100 records).</summary>
    public void WaitFor(int index)
    {
        if (index % 100 == 0 && TimeSpan.FromSeconds((double)index / perSecond) - _clock.Elapsed is { Ticks: > 0 } ahead)
            Thread.Sleep(ahead);
    }
}
