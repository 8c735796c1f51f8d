using System.Diagnostics.Tracing;

namespace ActorVisits.Benchmarking;

/// <summary>
/// The time the runtime held managed threads for garbage collections, by kind of collection, from its own GC events
/// (threads suspended to restarted): where a step's GC pauses go, which <see cref="GC.GetTotalPauseDuration"/> does not say.
/// A pause is counted under the deepest collection started in it; a background gen2 collection's pauses (its start and
/// its final mark) under <see cref="Kind.BackgroundGen2"/>.
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
    private DateTime? _suspendedAt;
    private int _deepest = -1;
    private bool _background;

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
                    (_suspendedAt, _deepest, _background) = (data.TimeStamp, -1, false);
                    break;
                case GcStartEvent when _suspendedAt is not null:
                    _deepest = Math.Max(_deepest, Convert.ToInt32(Field(data, "Depth") ?? 0));
                    _background |= Field(data, "Type") is { } type && Convert.ToUInt32(type) == BackgroundGcType;
                    break;
                case RestartEndEvent when _suspendedAt is { } suspendedAt:
                    var kind = _background || _deepest < 0 ? Kind.BackgroundGen2 : (Kind)Math.Min(_deepest, 2);
                    _milliseconds[(int)kind] += (data.TimeStamp - suspendedAt).TotalMilliseconds;
                    _pauses[(int)kind]++;
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

    /// <summary>Milliseconds paused and pauses so far, by <see cref="Kind"/>.</summary>
    public (double[] Milliseconds, int[] Pauses) Totals()
    {
        lock (_lock)
            return (_milliseconds.ToArray(), _pauses.ToArray());
    }

    /// <summary>What was paused between two <see cref="Totals"/>, e.g. "gen0 186 ms in 40, gen1 89 ms in 10, background gen2 9 ms in 4".</summary>
    public static string Describe((double[] Milliseconds, int[] Pauses) before, (double[] Milliseconds, int[] Pauses) after)
    {
        var names = new[] { "gen0", "gen1", "blocking gen2", "background gen2" };
        var parts = Enumerable.Range(0, names.Length)
            .Where(i => after.Pauses[i] > before.Pauses[i])
            .Select(i => $"{names[i]} {after.Milliseconds[i] - before.Milliseconds[i]:N0} ms in {after.Pauses[i] - before.Pauses[i]}");
        return string.Join(", ", parts);
    }
}
