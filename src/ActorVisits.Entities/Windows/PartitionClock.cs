namespace ActorVisits.Entities.Windows;

/// <summary>
/// The stream time of one input partition, in whole seconds: the largest event time seen on it. It decides which visits
/// are late, and lets an idle partition follow the wall clock so that its counts decay in real time, but only when it
/// is live: within the longest window of the wall clock, or of the time its last record arrived (a partition rebuilt,
/// or held up, minutes after its last live record). A replay of old data is never moved by the wall clock.
/// </summary>
public sealed class PartitionClock(int longestWindowSeconds, TimeSpan idleAdvance)
{
    private DateTimeOffset _lastRecordAt;
    private bool _liveAtLastRecord;

    /// <summary>floor(stream time) in Unix seconds; null before the first visit.</summary>
    public long? Now { get; private set; }

    /// <summary>
    /// Takes a visit of <paramref name="eventSecond"/> that arrived at <paramref name="arrivedAt"/> (wall clock). Returns
    /// false when it is late: its second is at or before <c>Now - longest window</c>, so it counts in no window.
    /// </summary>
    public bool Observe(long eventSecond, DateTimeOffset arrivedAt)
    {
        _lastRecordAt = arrivedAt;
        var onTime = true;
        if (Now is not { } now || eventSecond > now)
            Now = eventSecond;
        else
            onTime = eventSecond > now - longestWindowSeconds;
        _liveAtLastRecord = Now > arrivedAt.ToUnixTimeSeconds() - longestWindowSeconds;
        return onTime;
    }

    /// <summary>
    /// Moves the stream time to the wall clock when the partition has had no record for the idle-advance time and is
    /// live; returns whether it moved.
    /// </summary>
    public bool TryIdleAdvance(DateTimeOffset wallNow)
    {
        var wallSecond = wallNow.ToUnixTimeSeconds();
        if (Now is not { } now || wallSecond <= now || wallNow - _lastRecordAt < idleAdvance)
            return false;
        if (now <= wallSecond - longestWindowSeconds && !_liveAtLastRecord)
            return false;
        Now = wallSecond;
        return true;
    }
}
