using System.Collections.Concurrent;

namespace ActorVisits.Views;

/// <summary>The latest count of each URL in each window, as read from the output topics.</summary>
public sealed class LatestCounts
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, (int Count, DateTimeOffset WindowEnd)>> _windows = new();
    private long _updates;

    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Names of the windows seen so far.</summary>
    public IReadOnlyList<string> Windows => _windows.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Keeps the update of the latest window end per URL; an older update read later (another partition's lag) is ignored.</summary>
    public void Apply(string window, string url, int count, DateTimeOffset windowEnd)
    {
        Interlocked.Increment(ref _updates);
        _windows.GetOrAdd(window, _ => new()).AddOrUpdate(url, (count, windowEnd),
            (_, current) => windowEnd >= current.WindowEnd ? (count, windowEnd) : current);
    }

    public void Apply(UpdateRead update) => Apply(update.Window, update.Url, update.Count, update.WindowEnd);

    public IReadOnlyList<(string Url, int Count)> Top(string window, int count) =>
        _windows.TryGetValue(window, out var urls)
            ? urls.Where(u => u.Value.Count > 0).OrderByDescending(u => u.Value.Count).ThenBy(u => u.Key, StringComparer.Ordinal)
                .Take(count).Select(u => (u.Key, u.Value.Count)).ToList()
            : [];
}
