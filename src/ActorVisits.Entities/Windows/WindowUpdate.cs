namespace ActorVisits.Entities.Windows;

/// <summary>
/// A URL's count in one window at clock second <see cref="Now"/>: the window covers the whole UTC seconds
/// <c>Now-N+1 .. Now</c>, so it starts at <c>Now-N+1</c> and ends (exclusive) at <c>Now+1</c>. <see cref="InputOffset"/>
/// is the offset of the visit that caused it (for the wall clock moving an idle partition, the last offset counted
/// there); -1 when unknown. A struct: a visit causes three of them, held in the arrays its URL actor answers with
/// (<see cref="WindowUpdateList"/>), not one object each.
/// </summary>
public readonly record struct WindowUpdate(string Url, WindowSpec Window, int Count, long Now, long InputOffset = -1)
{
    public DateTimeOffset WindowStart => DateTimeOffset.FromUnixTimeSeconds(Now - Window.Seconds + 1);

    public DateTimeOffset WindowEnd => DateTimeOffset.FromUnixTimeSeconds(Now + 1);

    /// <summary>The average visit rate over the window.</summary>
    public double PerSecond => (double)Count / Window.Seconds;

    /// <summary>The updates for every window set in <paramref name="changed"/> (bit i = window i), caused at <paramref name="inputOffset"/>.</summary>
    public static void AddChanged(List<WindowUpdate> updates, string url, WindowSet windows, UrlWindows counts, uint changed, long inputOffset)
    {
        for (var i = 0; changed != 0; i++, changed >>= 1)
        {
            if ((changed & 1) == 1)
                updates.Add(new WindowUpdate(url, windows[i], counts.Count(i), counts.Now, inputOffset));
        }
    }
}
