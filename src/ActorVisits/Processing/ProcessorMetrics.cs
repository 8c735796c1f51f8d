using ActorVisits.Entities;
using HdrHistogram;

namespace ActorVisits.Processing;

/// <summary>What the processor has done so far; read by the live views and the benchmark while it runs.</summary>
public sealed class ProcessorMetrics
{
    private long _visits;
    private long _late;
    private readonly long[] _deadLettersByCode = new long[Rejection.Codes.Count];
    private long _updates;
    private long _fenced;
    private long _notProducedAgain;
    private long _notKeyedByUrl;
    private long _repartitioned;
    private long _duplicates;
    private long _rebuilds;
    private long _replayed;
    private long _rebuildTicks;
    private long _replayReadAgain;
    private LongConcurrentHistogram _latency = NewHistogram();
    private LongConcurrentHistogram _processingLatency = NewHistogram();

    /// <summary>Valid visits counted in at least the windows that cover them.</summary>
    public long Visits => Interlocked.Read(ref _visits);

    /// <summary>Valid visits that arrived after their second left the longest window; counted in no window.</summary>
    public long Late => Interlocked.Read(ref _late);

    /// <summary>Records sent to the dead-letter topic.</summary>
    public long DeadLettered => Enumerable.Range(0, _deadLettersByCode.Length).Sum(i => Interlocked.Read(ref _deadLettersByCode[i]));

    /// <summary>Dead letters by reason code (<see cref="Rejection.Codes"/>), every code present.</summary>
    public IReadOnlyDictionary<string, long> DeadLettersByReason =>
        Rejection.Codes.Select((code, i) => (code, Interlocked.Read(ref _deadLettersByCode[i]))).ToDictionary(p => p.code, p => p.Item2);

    /// <summary>Records whose handling threw (reason <c>internal-error</c>), dead-lettered under <c>on-record-error = dead-letter</c>.</summary>
    public long InternalErrors => Interlocked.Read(ref _deadLettersByCode[CodeIndex[Rejection.InternalError]]);

    private static readonly Dictionary<string, int> CodeIndex = Rejection.Codes.Select((code, i) => (code, i)).ToDictionary(p => p.code, p => p.i);

    /// <summary>Window updates produced and acknowledged (acks=all); none of a batch whose outputs were not all acknowledged.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Updates and late copies not produced because their input partition was revoked after they were made.</summary>
    public long Fenced => Interlocked.Read(ref _fenced);

    /// <summary>Updates not produced again: a partition back in this process counted records whose updates it had produced already.</summary>
    public long NotProducedAgain => Interlocked.Read(ref _notProducedAgain);

    /// <summary>
    /// Percentile of the time from a record's timestamp (when it was produced to the input) to the acknowledgement of
    /// every update it caused; 0 before any record.
    /// </summary>
    public TimeSpan Latency(double percentile) => Percentile(Volatile.Read(ref _latency), percentile);

    /// <summary>
    /// Percentile of the part of <see cref="Latency"/> spent from the moment the consumer handed the record to the
    /// stream; the rest is the producer's, the brokers' and the consumer's before it.
    /// </summary>
    public TimeSpan ProcessingLatency(double percentile) => Percentile(Volatile.Read(ref _processingLatency), percentile);

    /// <summary>Visits whose record key is not their URL: their URL may be counted in several partitions.</summary>
    public long NotKeyedByUrl => Interlocked.Read(ref _notKeyedByUrl);

    /// <summary>Visits re-keyed by URL to the repartition topic (<c>repartition = on</c>).</summary>
    public long Repartitioned => Interlocked.Read(ref _repartitioned);

    /// <summary>Copies of repartitioned visits counted already (produced again after a restart), skipped.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Partitions whose windows were rebuilt by replay after an assignment.</summary>
    public long Rebuilds => Interlocked.Read(ref _rebuilds);

    /// <summary>Records read again to rebuild windows.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Records a rebuild's reader delivered again (an offset replayed already or before its start), skipped.</summary>
    public long ReplayReadAgain => Interlocked.Read(ref _replayReadAgain);

    /// <summary>Time spent replaying, summed over the partitions (they rebuild in parallel).</summary>
    public TimeSpan RebuildTime => TimeSpan.FromTicks(Interlocked.Read(ref _rebuildTicks));

    public override string ToString() =>
        (Repartitioned == 0 ? "" : $"visits repartitioned by URL {Repartitioned:N0}, copies skipped {Duplicates:N0}, ") +
        $"visits counted {Visits:N0}, late {Late:N0}, dead letters {DeadLettered:N0}" +
        (InternalErrors == 0 ? "" : $" (internal errors {InternalErrors:N0})") +
        $", window updates produced {Updates:N0}" +
        (NotProducedAgain == 0 ? "" : $" (not produced again {NotProducedAgain:N0})") +
        (Fenced == 0 ? "" : $", fenced off {Fenced:N0}") +
        (Rebuilds == 0 ? "" : $", {Rebuilds:N0} partitions rebuilt from {Replayed:N0} records in {RebuildTime.TotalSeconds:N1} s") +
        (NotKeyedByUrl == 0 ? "" : $"; WARNING {NotKeyedByUrl:N0} visits not keyed by their URL: a URL spread over partitions gets one count per partition; set actorvisits.processor.repartition = on (docs/deploy.md)");

    internal void AddVisits(int counted, int late, int duplicates)
    {
        Interlocked.Add(ref _visits, counted);
        Interlocked.Add(ref _late, late);
        Interlocked.Add(ref _duplicates, duplicates);
    }

    internal void AddRepartitioned() => Interlocked.Increment(ref _repartitioned);

    internal void AddNotKeyedByUrl() => Interlocked.Increment(ref _notKeyedByUrl);

    internal void AddRebuild(long replayed, TimeSpan took)
    {
        RebuildObserved?.Invoke(took, replayed);
        Interlocked.Increment(ref _rebuilds);
        Interlocked.Add(ref _replayed, replayed);
        Interlocked.Add(ref _rebuildTicks, took.Ticks);
    }

    internal void AddReplayReadAgain() => Interlocked.Increment(ref _replayReadAgain);

    internal void AddDeadLetter(string code)
    {
        Interlocked.Increment(ref _deadLettersByCode[CodeIndex[code]]);
    }

    internal void AddUpdates(int count) => Interlocked.Add(ref _updates, count);

    internal void AddFenced() => Interlocked.Increment(ref _fenced);

    internal void AddNotProducedAgain(int count) => Interlocked.Add(ref _notProducedAgain, count);

    /// <summary>Starts both latency distributions afresh (a benchmark measuring the steady state only).</summary>
    public void ResetLatency()
    {
        Volatile.Write(ref _latency, NewHistogram());
        Volatile.Write(ref _processingLatency, NewHistogram());
    }

    /// <summary>Called with each visit's latency from its record's timestamp to the acknowledgement of its updates (an exporter's histogram).</summary>
    public Action<TimeSpan>? LatencyObserved { get; set; }

    /// <summary>Called with each rebuild's duration and records replayed.</summary>
    public Action<TimeSpan, long>? RebuildObserved { get; set; }

    private long _read;
    private long _done;

    /// <summary>Records read by the counting stream whose outputs are not acknowledged yet.</summary>
    public long RecordsInFlight => Interlocked.Read(ref _read) - Interlocked.Read(ref _done);

    internal void AddRead() => Interlocked.Increment(ref _read);

    internal void AddDone(int records) => Interlocked.Add(ref _done, records);

    internal void RecordLatency(TimeSpan sinceProduced, TimeSpan sinceRead)
    {
        LatencyObserved?.Invoke(sinceProduced);
        Record(Volatile.Read(ref _latency), sinceProduced);
        Record(Volatile.Read(ref _processingLatency), sinceRead);
    }

    // Microseconds, up to an hour, 3 significant digits.
    private static LongConcurrentHistogram NewHistogram() => new(1, 3_600_000_000L, 3);

    private static void Record(LongConcurrentHistogram histogram, TimeSpan latency) =>
        histogram.RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, histogram.HighestTrackableValue));

    private static TimeSpan Percentile(LongConcurrentHistogram histogram, double percentile) =>
        histogram.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromMicroseconds(histogram.GetValueAtPercentile(percentile));
}
