using ActorVisits.Entities.Windows;

namespace ActorVisits.Dashboard;

/// <summary>
/// The whole cluster's latest count of every URL in every window, as the output topics hold them (every node's updates
/// land there, so any node sees them all), with each URL's recent history for sparklines and charts: one point per
/// <see cref="HistoryStep"/> over the longest window. It holds the URLs counted in some window (as the processor's own
/// state does): a URL at zero in every window leaves once its history is all zeros. History is kept for at most
/// <see cref="MaxTrackedUrls"/> URLs at a time; a URL without one gets one as others leave.
/// Written by one feed thread and one sampler; read by any number of requests.
/// </summary>
public sealed class TrendBoard
{
    /// <summary>Resolution of the history.</summary>
    public static readonly TimeSpan HistoryStep = TimeSpan.FromSeconds(5);

    public const int MaxTrackedUrls = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, UrlTrend> _urls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _windowIndex;
    private readonly int _points;
    private DateTimeOffset? _lastSampleAt;
    private long _updates;
    private int _withHistory;
    private DateTimeOffset? _lastUpdateAt;

    public TrendBoard(WindowSet windows)
    {
        Windows = windows.Windows;
        _windowIndex = Windows.Select((w, i) => (w.Name, i)).ToDictionary(w => w.Name, w => w.i, StringComparer.Ordinal);
        _points = (int)Math.Ceiling(Windows.Max(w => w.Seconds) / HistoryStep.TotalSeconds);
    }

    public IReadOnlyList<WindowSpec> Windows { get; }

    /// <summary>Updates read from the output topics so far.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>When the last update was read (wall clock); null before the first.</summary>
    public DateTimeOffset? LastUpdateAt
    {
        get
        {
            lock (_gate)
                return _lastUpdateAt;
        }
    }

    public WindowSpec? Window(string name) => _windowIndex.TryGetValue(name, out var index) ? Windows[index] : null;

    /// <summary>
    /// Applies one update read from a window topic; an update older than the one kept (a lagging partition read
    /// later) is ignored, as a consumer keeping the newest window end would.
    /// </summary>
    public void Apply(string window, string url, int count, DateTimeOffset windowEnd, DateTimeOffset readAt)
    {
        if (!_windowIndex.TryGetValue(window, out var index))
            return;
        Interlocked.Increment(ref _updates);
        lock (_gate)
        {
            _lastUpdateAt = readAt;
            if (!_urls.TryGetValue(url, out var trend))
            {
                if (count == 0)
                    return;
                trend = new UrlTrend(Windows.Count);
                if (_withHistory < MaxTrackedUrls)
                    GiveHistory(trend);
                _urls[url] = trend;
            }
            if (trend.WindowEnds[index] is { } kept && windowEnd < kept)
                return;
            trend.Counts[index] = count;
            trend.WindowEnds[index] = windowEnd;
        }
    }

    /// <summary>Records every tracked URL's counts as the history point of <paramref name="now"/>, once per <see cref="HistoryStep"/>.</summary>
    public void Sample(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_lastSampleAt is { } last && now - last < HistoryStep)
                return;
            _lastSampleAt = now;
            List<string>? gone = null;
            foreach (var (url, trend) in _urls)
            {
                trend.Record();
                if (trend.Silent)
                    (gone ??= []).Add(url);
            }
            foreach (var url in gone ?? [])
            {
                if (_urls.Remove(url, out var trend) && trend.HasHistory)
                    _withHistory--;
            }
            // Room freed: URLs that came while every history was taken get one now.
            if (_withHistory < MaxTrackedUrls && _urls.Count > _withHistory)
            {
                foreach (var trend in _urls.Values)
                {
                    if (_withHistory == MaxTrackedUrls)
                        break;
                    if (!trend.HasHistory)
                        GiveHistory(trend);
                }
            }
        }
    }

    private void GiveHistory(UrlTrend trend)
    {
        trend.KeepHistory(_points);
        _withHistory++;
    }

    /// <summary>The <paramref name="n"/> URLs with the highest count in <paramref name="window"/> (ties by URL), with their history in it.</summary>
    public IReadOnlyList<TrendRow> Top(WindowSpec window, int n)
    {
        var index = _windowIndex[window.Name];
        lock (_gate)
        {
            // The n best kept in a heap whose head is the worst of them: one pass, not a sort of every URL (asked for
            // each window every second, under the lock the feed writes with).
            var best = new PriorityQueue<string, (int Count, string Url)>(n + 1, WorstFirst);
            foreach (var (url, trend) in _urls)
            {
                var count = trend.Counts[index];
                if (count == 0)
                    continue;
                if (best.Count < n)
                    best.Enqueue(url, (count, url));
                else if (best.TryPeek(out _, out var worst) && WorstFirst.Compare((count, url), worst) > 0)
                    best.EnqueueDequeue(url, (count, url));
            }
            return best.UnorderedItems.Select(u => u.Priority)
                .OrderByDescending(u => u.Count).ThenBy(u => u.Url, StringComparer.Ordinal)
                .Select(u => new TrendRow(u.Url, u.Count, u.Count / (double)window.Seconds, _urls[u.Url].History(index)))
                .ToList();
        }
    }

    /// <summary>Lower counts first; among equal counts, the URL that sorts last (ties are shown by URL).</summary>
    private static readonly Comparer<(int Count, string Url)> WorstFirst = Comparer<(int Count, string Url)>.Create((a, b) =>
        a.Count != b.Count ? a.Count.CompareTo(b.Count) : string.CompareOrdinal(b.Url, a.Url));

    /// <summary>One URL's count and history in every window; zeros and no history for a URL not seen lately.</summary>
    public IReadOnlyList<(WindowSpec Window, TrendRow Row)> Of(string url)
    {
        lock (_gate)
        {
            _urls.TryGetValue(url, out var trend);
            return Windows.Select((w, i) => (w, new TrendRow(url, trend?.Counts[i] ?? 0, (trend?.Counts[i] ?? 0) / (double)w.Seconds, trend?.History(i) ?? []))).ToList();
        }
    }

    /// <summary>URLs starting with <paramref name="prefix"/> (any case), the most visited over the longest window first.</summary>
    public IReadOnlyList<string> Suggest(string prefix, int n)
    {
        var longest = Windows.Select((w, i) => (w, i)).MaxBy(w => w.w.Seconds).i;
        lock (_gate)
        {
            return _urls.Where(u => u.Key.Contains(prefix, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(u => u.Value.Counts[longest]).ThenBy(u => u.Key, StringComparer.Ordinal)
                .Take(n).Select(u => u.Key).ToList();
        }
    }

    /// <summary>A URL's latest counts and, when tracked, a ring of its past counts per window.</summary>
    private sealed class UrlTrend(int windows)
    {
        private int[,] _history = new int[windows, 0];
        private int _points;
        private int _next;
        private int _filled;

        public int[] Counts { get; } = new int[windows];

        public bool HasHistory => _points > 0;

        public void KeepHistory(int historyPoints)
        {
            _points = historyPoints;
            _history = new int[windows, historyPoints];
        }

        public DateTimeOffset?[] WindowEnds { get; } = new DateTimeOffset?[windows];

        /// <summary>At zero in every window, and so for its whole history.</summary>
        public bool Silent => Counts.All(c => c == 0) && (_points == 0 || Enumerable.Range(0, _filled).All(p => Enumerable.Range(0, windows).All(w => _history[w, p] == 0)));

        public void Record()
        {
            if (_points == 0)
                return;
            for (var w = 0; w < windows; w++)
                _history[w, _next] = Counts[w];
            _next = (_next + 1) % _points;
            _filled = Math.Min(_filled + 1, _points);
        }

        /// <summary>Oldest first.</summary>
        public int[] History(int window)
        {
            var result = new int[_filled];
            for (var i = 0; i < _filled; i++)
                result[i] = _history[window, (_next - _filled + i + _points) % _points];
            return result;
        }
    }
}

/// <summary>A URL's count in one window, its rate, and its history in that window (oldest first, one point per <see cref="TrendBoard.HistoryStep"/>).</summary>
public sealed record TrendRow(string Url, int Count, double PerSecond, int[] History);
