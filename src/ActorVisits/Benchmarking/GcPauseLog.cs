using System.Diagnostics.Tracing;

namespace ActorVisits.Benchmarking;

/// <summary>
/// The time the runtime held managed threads for garbage collections, by kind of collection, from its own GC events
/// (threads suspended to restarted): where a step's GC pauses go, which <see cref="GC.GetTotalPauseDuration"/> does not say.
/// A pause is counted under the deepest collection started in it; a background gen2 collection's pauses (its start and
/// its final mark) under <see cref="Kind.BackgroundGen2"/>. Blocking gen2 collections are also counted by the reason the
/// runtime gives for them (a large-object allocation, an induced collection, the provisional mode...): they are the
/// longest pauses, and the reason says what to change.
/// </summary>
internal sealed class GcPauseLog : EventListener
{
    public enum Kind
    {
        Gen0,
        Gen1,
        BlockingGen2,
        BackgroundGen2,
    }

    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStartEvent = 1;
    private const int RestartEndEvent = 3;
    private const int SuspendBeginEvent = 9;
    private const uint BackgroundGcType = 1;

    private readonly Lock _lock = new();
    private readonly double[] _milliseconds = new double[4];
    private readonly int[] _pauses = new int[4];
    private readonly int[] _blockingGen2Reasons = new int[ReasonNames.Length];
    private DateTime? _suspendedAt;
    private int _deepest = -1;
    private int _deepestReason = -1;
    private bool _background;

    /// <summary>The runtime's GC reasons (gc_reason), by number.</summary>
    private static readonly string[] ReasonNames =
    [
        "small-object allocation", "induced", "low memory", "empty", "large-object allocation", "out of small-object space",
        "out of large-object space", "induced, not forced", "GC stress", "low memory, blocking", "induced, compacting",
        "host low memory", "provisional mode", "host low memory, blocking", "background GC tuning (small objects)",
        "background GC tuning (large objects)", "background GC stepping", "induced, aggressive",
    ];

    /// <summary>One for the process: the runtime's events reach every listener anyway.</summary>
    public static GcPauseLog Instance { get; } = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        // Informational GC events: start, end, suspend, restart (not the allocation ticks, which are verbose).
        if (source.Name == RuntimeSource)
            EnableEvents(source, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (data.EventSource.Name != RuntimeSource)
            return;
        lock (_lock)
        {
            switch (data.EventId)
            {
                case SuspendBeginEvent:
                    (_suspendedAt, _deepest, _deepestReason, _background) = (data.TimeStamp, -1, -1, false);
                    break;
                case GcStartEvent when _suspendedAt is not null:
                    var depth = Convert.ToInt32(Field(data, "Depth") ?? 0);
                    if (depth >= _deepest)
                        _deepestReason = Convert.ToInt32(Field(data, "Reason") ?? -1);
                    _deepest = Math.Max(_deepest, depth);
                    _background |= Field(data, "Type") is { } type && Convert.ToUInt32(type) == BackgroundGcType;
                    break;
                case RestartEndEvent when _suspendedAt is { } suspendedAt:
                    var kind = _background || _deepest < 0 ? Kind.BackgroundGen2 : (Kind)Math.Min(_deepest, 2);
                    _milliseconds[(int)kind] += (data.TimeStamp - suspendedAt).TotalMilliseconds;
                    _pauses[(int)kind]++;
                    if (kind == Kind.BlockingGen2 && _deepestReason >= 0 && _deepestReason < ReasonNames.Length)
                        _blockingGen2Reasons[_deepestReason]++;
                    _suspendedAt = null;
                    break;
            }
        }
    }

    private static object? Field(EventWrittenEventArgs data, string name)
    {
        var index = data.PayloadNames?.IndexOf(name) ?? -1;
        return index < 0 ? null : data.Payload![index];
    }

    /// <summary>Milliseconds paused and pauses so far, by <see cref="Kind"/>; blocking gen2 collections by reason.</summary>
    public (double[] Milliseconds, int[] Pauses, int[] BlockingGen2Reasons) Totals()
    {
        lock (_lock)
            return (_milliseconds.ToArray(), _pauses.ToArray(), _blockingGen2Reasons.ToArray());
    }

    /// <summary>
    /// What was paused between two <see cref="Totals"/>, e.g. "gen0 186 ms in 40, gen1 89 ms in 10, blocking gen2 90 ms
    /// in 1 (large-object allocation 1), background gen2 9 ms in 4".
    /// </summary>
    public static string Describe((double[] Milliseconds, int[] Pauses, int[] BlockingGen2Reasons) before, (double[] Milliseconds, int[] Pauses, int[] BlockingGen2Reasons) after)
    {
        var names = new[] { "gen0", "gen1", "blocking gen2", "background gen2" };
        var parts = Enumerable.Range(0, names.Length)
            .Where(i => after.Pauses[i] > before.Pauses[i])
            .Select(i => $"{names[i]} {after.Milliseconds[i] - before.Milliseconds[i]:N0} ms in {after.Pauses[i] - before.Pauses[i]}" +
                         (i == (int)Kind.BlockingGen2 ? Reasons(before.BlockingGen2Reasons, after.BlockingGen2Reasons) : ""));
        return string.Join(", ", parts);
    }

    private static string Reasons(int[] before, int[] after)
    {
        var reasons = Enumerable.Range(0, ReasonNames.Length).Where(r => after[r] > before[r]).Select(r => $"{ReasonNames[r]} {after[r] - before[r]}").ToList();
        return reasons.Count == 0 ? "" : $" ({string.Join(", ", reasons)})";
    }
}
