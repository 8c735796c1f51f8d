using HdrHistogram;

namespace ActorVisits.Processing;

/// <summary>What the processor has done so far; read by the live views and the benchmark while it runs.</summary>
public sealed class ProcessorMetrics
{
    private long _visits;
    private long _late;
    private long _deadLettered;
    private long _updates;
    // Microseconds, up to an hour, 3 significant digits.
    private readonly LongConcurrentHistogram _latency = new(1, 3_600_000_000L, 3);

    /// <summary>Valid visits counted in at least the windows that cover them.</summary>
    public long Visits => Interlocked.Read(ref _visits);

    /// <summary>Valid visits that arrived after their second left the longest window; counted in no window.</summary>
    public long Late => Interlocked.Read(ref _late);

    /// <summary>Records sent to the dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Window updates handed to the producer.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>
    /// Percentile of the time from a record's timestamp (when it was produced to the input) to the acknowledgement of
    /// every update it caused; 0 before any record.
    /// </summary>
    public TimeSpan Latency(double percentile) =>
        _latency.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromMicroseconds(_latency.GetValueAtPercentile(percentile));

    public override string ToString() =>
        $"visits counted {Visits:N0}, late {Late:N0}, dead letters {DeadLettered:N0}, window updates produced {Updates:N0}";

    internal void AddVisit(bool late) => Interlocked.Increment(ref late ? ref _late : ref _visits);

    internal void AddDeadLetter() => Interlocked.Increment(ref _deadLettered);

    internal void AddUpdates(int count) => Interlocked.Add(ref _updates, count);

    internal void RecordLatency(TimeSpan latency) =>
        _latency.RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, _latency.HighestTrackableValue));
}
