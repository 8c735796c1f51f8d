using Confluent.Kafka;

namespace ActorVisits.Views;

/// <summary>
/// Merges the records one consumer reads from several partitions into timestamp order, the way a Kafka Streams task
/// picks the partition with the lowest timestamp: a record is handed on once every assigned partition has been read
/// up to its timestamp or has reached its end. Up to, not past: records of the same millisecond (the processor stamps
/// updates with their window's end, a whole second) may still come from another partition, but waiting for the next
/// second would make a live view a second late. Without it, a viewer catching up reads one topic's fetch ahead of
/// another's, and shows a URL's 30 s count above its 1 min count. A partition that neither delivers nor reaches its
/// end (its leader down) holds the others back for at most <c>maxHold</c> of wall-clock time, and at most
/// <c>maxHeld</c> records wait, so the view stays live and memory bounded. Used by one thread.
/// </summary>
public sealed class TimeOrderedMerge<T>(TimeSpan maxHold, int maxHeld = 100_000)
{
    private readonly Dictionary<TopicPartition, PartitionRead> _partitions = [];
    private readonly PriorityQueue<(T Item, DateTimeOffset ReadAt), (long Timestamp, long Sequence)> _held = new();
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
        if (_partitions.TryGetValue(partition, out var read))
        {
            // A partition's timestamps may step back a little (updates of several URLs); it has been read up to the highest.
            read.Timestamp = read.Timestamp is { } seen ? Math.Max(seen, timestampMs) : timestampMs;
            read.AtEnd = false;
        }
        _held.Enqueue((item, now), (timestampMs, _sequence++));
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
        var watermark = Watermark();
        while (_held.TryPeek(out var head, out var key)
               && (key.Timestamp <= watermark || now - head.ReadAt >= maxHold || _held.Count > maxHeld))
        {
            _held.Dequeue();
            yield return head.Item;
        }
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
