namespace ActorVisits.Kafka.Stages;

/// <summary>What a committable source's consumer did, for logs, tests and benchmarks.</summary>
public sealed class ConsumerMetrics
{
    private long _maxBuffered;
    private long _maxBufferedBytes;
    private long _committed;
    private long _discarded;
    private long _consumeErrors;
    private long _commitFailures;
    private long _readAgain;
    private string? _lastConsumeError;

    /// <summary>Largest number of records that waited at once in the stage's buffer.</summary>
    public int MaxBuffered => (int)Interlocked.Read(ref _maxBuffered);

    /// <summary>Largest number of bytes (keys, values, headers) that waited at once in the stage's buffer.</summary>
    public long MaxBufferedBytes => Interlocked.Read(ref _maxBufferedBytes);

    /// <summary>Partition offsets committed.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Offsets not committed because their partition had been revoked meanwhile.</summary>
    public long DiscardedAfterRevocation => Interlocked.Read(ref _discarded);

    /// <summary>Consume errors librdkafka recovers from by itself (fetch time-outs, brokers gone), which did not stop consuming.</summary>
    public long ConsumeErrors => Interlocked.Read(ref _consumeErrors);

    /// <summary>The last of <see cref="ConsumeErrors"/>: reason and code.</summary>
    public string? LastConsumeError => Volatile.Read(ref _lastConsumeError);

    /// <summary>
    /// Records delivered again within one assignment, at an offset before where it started or before one already handed
    /// out; dropped, so that no visit is counted twice.
    /// </summary>
    public long ReadAgain => Interlocked.Read(ref _readAgain);

    /// <summary>Commits refused for a retriable reason, retried later with the positions processed meanwhile.</summary>
    public long CommitFailures => Interlocked.Read(ref _commitFailures);

    /// <summary>True while every assigned partition is paused for backpressure (or because the source stopped).</summary>
    public bool Paused { get; internal set; }

    public int Rebalances { get; internal set; }

    /// <summary>The consumer has been given its first assignment by its group (which may hold no partition).</summary>
    public bool Joined { get; internal set; }

    /// <summary>
    /// False from the moment the group took this consumer's partitions away as lost (its session expired, or the
    /// coordinator no longer knew it) until its next assignment: it is then no member of the group, though
    /// <see cref="Joined"/> stays true. Revocations in an ordinary rebalance leave it true.
    /// </summary>
    public bool InGroup { get; internal set; }

    /// <summary>How many times the group took this consumer's partitions away as lost.</summary>
    public int LostAssignments { get; internal set; }

    /// <summary>
    /// Per assigned partition, the records between the last committed position and the partition's end as last
    /// fetched (measured once a second); a partition without any commit yet is missing.
    /// </summary>
    public IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long> Lags
    {
        get => Volatile.Read(ref _lags);
        internal set => Volatile.Write(ref _lags, value);
    }

    private IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long> _lags = new Dictionary<Confluent.Kafka.TopicPartition, long>();

    /// <summary>How many times the consumer paused its partitions.</summary>
    public int PauseCount { get; internal set; }

    internal void ObserveBufferedBytes(long bytes) => RaiseTo(ref _maxBufferedBytes, bytes);

    internal void ObserveBuffered(int buffered) => RaiseTo(ref _maxBuffered, buffered);

    /// <summary>Sets <paramref name="max"/> to <paramref name="value"/> when that is larger, whichever thread races it.</summary>
    private static void RaiseTo(ref long max, long value)
    {
        var seen = Interlocked.Read(ref max);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref max, value, seen);
            if (before == seen)
                return;
            seen = before;
        }
    }

    internal void AddConsumeError(Confluent.Kafka.Error error)
    {
        Interlocked.Increment(ref _consumeErrors);
        Volatile.Write(ref _lastConsumeError, $"{error.Reason} ({error.Code})");
    }

    internal void AddReadAgain() => Interlocked.Increment(ref _readAgain);

    internal void AddCommitFailure() => Interlocked.Increment(ref _commitFailures);

    internal void AddCommitted(int committed, int discarded)
    {
        Interlocked.Add(ref _committed, committed);
        Interlocked.Add(ref _discarded, discarded);
    }
}
