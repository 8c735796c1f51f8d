using Confluent.Kafka;

namespace ActorVisits.Views;

/// <summary>
/// Merges the records one consumer reads from several partitions into timestamp order, the way a Kafka Streams task
/// picks the partition with the lowest timestamp: a record is handed on once every assigned partition has been read
/// up to its timestamp or has reached its end. Without it, a viewer catching up reads one topic's fetch ahead of
/// another's, and shows a URL's 30 s count above its 1 min count. Up to, not past: records of the same millisecond
/// (the processor stamps updates with their window's end, a whole second) may still come from another partition, but
/// waiting for a later timestamp would hold a live view back until the next second's updates.
/// A partition that neither delivers nor reaches its end (its leader down) holds the others back for at most
/// <c>maxHold</c> of wall-clock time: once a record has been held that long, it and everything stamped no later are
/// handed on. At most <c>maxHeld</c> records wait. So the view stays live and its memory bounded. Used by one thread.
/// </summary>
public sealed class TimeOrderedMerge<T>(TimeSpan maxHold, int maxHeld = 100_000)
{
    private readonly Dictionary<TopicPartition, PartitionRead> _partitions = [];
    private readonly PriorityQueue<T, (long Timestamp, long Sequence)> _held = new();

    /// <summary>When each held record was read, in reading order, with its timestamp: what has waited too long.</summary>
    private readonly Queue<(DateTimeOffset ReadAt, long Timestamp)> _reads = new();

    /// <summary>The highest timestamp of a record held <c>maxHold</c> or longer: everything up to it is due.</summary>
    private long _overdueThrough = long.MinValue;

    private long _sequence;

    /// <summary>Records waiting for a slower partition.</summary>
    public int Held => _held.Count;

    /// <summary>Partitions to wait for from now on: not read yet, not at their end.</summary>
    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
            _partitions[partition] = new PartitionRead();
    }

    /// <summary>Partitions no longer read: nothing waits for them (records already read from them stay in order).</summary>
    public void Revoke(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
            _partitions.Remove(partition);
    }

    /// <summary>One record read from <paramref name="partition"/>, stamped <paramref name="timestampMs"/>.</summary>
    public void Read(TopicPartition partition, long timestampMs, T item, DateTimeOffset now)
    {
        Passed(partition, timestampMs);
        _held.Enqueue(item, (timestampMs, _sequence++));
        _reads.Enqueue((now, timestampMs));
        // Bounded as the held records are: past that many reads within the hold, the oldest is due at once.
        if (_reads.Count > maxHeld)
            _overdueThrough = Math.Max(_overdueThrough, _reads.Dequeue().Timestamp);
    }

    /// <summary>A record of <paramref name="partition"/> read and not handed on (not one to merge): the partition is read up to its timestamp all the same.</summary>
    public void Passed(TopicPartition partition, long timestampMs)
    {
        if (!_partitions.TryGetValue(partition, out var read))
            return;
        // A partition's timestamps may step back a little (updates of several URLs); it has been read up to the highest.
        read.Timestamp = read.Timestamp is { } seen ? Math.Max(seen, timestampMs) : timestampMs;
        read.AtEnd = false;
    }

    /// <summary><paramref name="partition"/> has been read up to its end: nothing from it is on its way.</summary>
    public void EndReached(TopicPartition partition)
    {
        if (_partitions.TryGetValue(partition, out var read))
            read.AtEnd = true;
    }

    /// <summary>The records now in order, oldest timestamp first (ties in reading order).</summary>
    public IEnumerable<T> Release(DateTimeOffset now)
    {
        while (_reads.TryPeek(out var oldest) && now - oldest.ReadAt >= maxHold)
        {
            _reads.Dequeue();
            _overdueThrough = Math.Max(_overdueThrough, oldest.Timestamp);
        }
        var watermark = Math.Max(Watermark(), _overdueThrough);
        while (_held.TryPeek(out var item, out var key) && (key.Timestamp <= watermark || _held.Count > maxHeld))
        {
            _held.Dequeue();
            yield return item;
        }
        // Nothing held: no read is waiting any longer.
        if (_held.Count == 0)
            _reads.Clear();
    }

    /// <summary>Every partition still being read has been read up to this timestamp.</summary>
    private long Watermark()
    {
        var watermark = long.MaxValue;
        foreach (var read in _partitions.Values)
        {
            if (!read.AtEnd)
                watermark = Math.Min(watermark, read.Timestamp ?? long.MinValue);
        }
        return watermark;
    }

    private sealed class PartitionRead
    {
        /// <summary>The highest timestamp read; null before the first record.</summary>
        public long? Timestamp;

        public bool AtEnd;
    }
}
