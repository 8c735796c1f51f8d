namespace ActorVisits.Entities.Windows;

/// <summary>
/// Where a window update stands among the updates of its (URL, window), for a consumer of the window topics that keeps
/// one count per (URL, window). Updates are produced at least once, and after a rebalance a former owner of the input
/// partition that had not noticed it yet (a zombie: a paused process, a long GC) may produce stale ones after the new
/// owner's. The rule: keep an update only if it is newer than the one held, comparing, in this order, the consumer
/// group <see cref="Generation"/> of the partition's owner (a later owner has a higher one), the
/// <see cref="InputOffset"/> of the visit that caused it (an owner counts its partition in offset order), and the
/// <see cref="WindowEnd"/> (updates of the wall clock moving an idle partition's windows, at the same offset). An
/// update equal to the one held is a copy (at-least-once) and changes nothing.
/// </summary>
public readonly record struct UpdateVersion(int Generation, long InputOffset, DateTimeOffset WindowEnd) : IComparable<UpdateVersion>
{
    public int CompareTo(UpdateVersion other)
    {
        var byGeneration = Generation.CompareTo(other.Generation);
        if (byGeneration != 0)
            return byGeneration;
        var byOffset = InputOffset.CompareTo(other.InputOffset);
        return byOffset != 0 ? byOffset : WindowEnd.CompareTo(other.WindowEnd);
    }

    public bool IsNewerThan(UpdateVersion held) => CompareTo(held) > 0;
}
