using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace ActorVisits.Benchmarking;

/// <summary>
/// Which types a measured step allocates, from the runtime's own sampling: it raises an allocation tick about every
/// 100 KB allocated, naming the type of the object that crossed the mark, so the ticks per type are proportional to
/// the bytes allocated of it (a profile, not an exact count). Listens while <see cref="Enabled"/>.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int AllocationTickEvent = 10;
    private const uint LargeObjectKind = 1;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    public bool Enabled { get; set; }

    protected override void OnEventSourceCreated(EventSource source)
    {
        // Verbose GC events carry the allocation ticks.
        if (source.Name == RuntimeSource)
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (!Enabled || data.EventId != AllocationTickEvent || data.Payload is null || data.PayloadNames is null)
            return;
        var type = Field(data, "TypeName") as string ?? "?";
        // Large objects (85,000 bytes and more) are counted apart: their heap is collected only with generation 2.
        if (Field(data, "AllocationKind") is uint and LargeObjectKind)
            type = "(large object) " + type;
        // The tick's amount is what was allocated since the previous one (about 100 KB), whatever its type.
        var amount = Field(data, "AllocationAmount64") is ulong large ? (long)large : Convert.ToInt64(Field(data, "AllocationAmount") ?? 0);
        _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }

    private static object? Field(EventWrittenEventArgs data, string name)
    {
        var index = data.PayloadNames!.IndexOf(name);
        return index < 0 ? null : data.Payload![index];
    }

    /// <summary>The <paramref name="top"/> types by sampled bytes, with their share, then clears the samples.</summary>
    public IReadOnlyList<(string Type, double Share)> TakeTop(int top)
    {
        var samples = _bytesByType.ToArray();
        _bytesByType.Clear();
        var total = Math.Max(1, samples.Sum(s => s.Value));
        return samples.OrderByDescending(s => s.Value).Take(top).Select(s => (s.Key, (double)s.Value / total)).ToList();
    }
}
