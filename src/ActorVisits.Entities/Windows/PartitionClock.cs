namespace ActorVisits.Entities.Windows;

/// <summary>
/// The stream time of one input partition, in whole seconds: the largest event time seen on it. It decides which visits
/// are late, and lets an idle partition follow the wall clock so that its counts decay in real time, but only when it
/// is live: within the longest window of the wall clock, or of the time its last record arrived (a partition rebuilt,
/// or held up, minutes after its last live record). A replay of old data is never moved by the wall clock.
/// The wall clock's moves are not in the log, so a record also carries its own: one written at least the idle-advance
/// time plus <see cref="ProducerClockSkewSeconds"/> after the previous record, on a partition live when that one was
/// written, first moves the stream time to its write second, as the ticks in between did when it was first read. A replay (after a restart or a rebalance) thus
/// judges the records it reads, and the ones read again after it, against about the stream time they first met.
/// </summary>
public sealed class PartitionClock(int longestWindowSeconds, TimeSpan idleAdvance)
{
    /// <summary>No write time known (a record without a usable Kafka timestamp).</summary>
    public const long Unknown = long.MinValue;

    /// <summary>
    /// How far apart the clocks of a partition's producers may be: a write-time gap counts as an idle spell only past
    /// idle-advance plus this, so that records of two producers a few seconds apart, interleaved, do not pass for one.
    /// </summary>
    public const int ProducerClockSkewSeconds = 5;

    /// <summary>The write-time gap, in whole seconds, that counts as an idle spell.</summary>
    private readonly long _idleSpellSeconds = (long)Math.Ceiling(idleAdvance.TotalSeconds) + ProducerClockSkewSeconds;

    private DateTimeOffset _lastRecordAt;
    private bool _liveAtLastRecord;
    private long _lastWrittenSecond = Unknown;
    private bool _liveAtLastWrite;

    /// <summary>floor(stream time) in Unix seconds; null before the first visit.</summary>
    public long? Now { get; private set; }

    /// <summary>
    /// Takes a visit of <paramref name="eventSecond"/> that arrived at <paramref name="arrivedAt"/> (wall clock), from
    /// a record written at <paramref name="writtenSecond"/>. Returns false when it is late: its second is at or before
    /// <c>Now - longest window</c>, so it counts in no window.
    /// </summary>
    public bool Observe(long eventSecond, DateTimeOffset arrivedAt, long writtenSecond = Unknown)
    {
        _lastRecordAt = arrivedAt;
        if (writtenSecond != Unknown)
        {
            // The idle spell before this record, as its write time tells it (the wall clock's ticks are not in the log).
            if (_liveAtLastWrite && Now is { } idle && writtenSecond > idle
                && _lastWrittenSecond != Unknown && writtenSecond - _lastWrittenSecond >= _idleSpellSeconds)
                Now = writtenSecond;
            _lastWrittenSecond = Math.Max(_lastWrittenSecond, writtenSecond);
        }
        var onTime = true;
        if (Now is not { } now || eventSecond > now)
            Now = eventSecond;
        else
            onTime = eventSecond > now - longestWindowSeconds;
        _liveAtLastRecord = Now > arrivedAt.ToUnixTimeSeconds() - longestWindowSeconds;
        if (writtenSecond != Unknown)
            _liveAtLastWrite = Now > writtenSecond - longestWindowSeconds;
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
