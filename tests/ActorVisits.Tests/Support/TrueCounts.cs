namespace ActorVisits.Tests.Support;

/// <summary>How many valid visits of an <see cref="InputStream"/> fall in a window, whenever they arrived: no update may say more.</summary>
public sealed class TrueCounts(InputStream input)
{
    private readonly Dictionary<string, long[]> _secondsOf = input.Valid.GroupBy(v => v.Visit.Url)
        .ToDictionary(g => g.Key, g => g.Select(v => v.Visit.Timestamp.ToUnixTimeSeconds()).Order().ToArray());

    /// <summary>Visits of <paramref name="url"/> in the whole seconds [end - N, end).</summary>
    public int Of(string url, DateTimeOffset windowEnd, int seconds)
    {
        if (!_secondsOf.TryGetValue(url, out var sorted))
            return 0;
        var end = windowEnd.ToUnixTimeSeconds();
        return FirstAtOrAfter(sorted, end) - FirstAtOrAfter(sorted, end - seconds);
    }

    private static int FirstAtOrAfter(long[] sorted, long second)
    {
        var index = Array.BinarySearch(sorted, second);
        if (index < 0)
            return ~index;
        while (index > 0 && sorted[index - 1] == second)
            index--;
        return index;
    }
}
