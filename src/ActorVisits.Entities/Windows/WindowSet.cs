namespace ActorVisits.Entities.Windows;

/// <summary>The windows every URL is counted over (at most 32); the longest one sizes each URL's ring buffer.</summary>
public sealed class WindowSet
{
    public WindowSet(IReadOnlyList<WindowSpec> windows)
    {
        if (windows.Count is 0 or > 32)
            throw new ArgumentException("Between 1 and 32 windows.", nameof(windows));
        if (windows.Select(w => w.Name).Distinct().Count() != windows.Count)
            throw new ArgumentException("Window names must be distinct.", nameof(windows));
        Windows = windows;
        LongestSeconds = windows.Max(w => w.Seconds);
        LongestIndex = windows.ToList().FindIndex(w => w.Seconds == LongestSeconds);
    }

    /// <summary>The workshop's windows: 30 s, 1 min and 5 min.</summary>
    public static WindowSet Default { get; } = new([
        new WindowSpec("30s", 30, "visits_30s"),
        new WindowSpec("1mn", 60, "visits_1mn"),
        new WindowSpec("5mn", 300, "visits_5mn"),
    ]);

    public IReadOnlyList<WindowSpec> Windows { get; }

    public int LongestSeconds { get; }

    public int LongestIndex { get; }

    public int Count => Windows.Count;

    public WindowSpec this[int index] => Windows[index];
}
