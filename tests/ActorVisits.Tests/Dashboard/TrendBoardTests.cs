using ActorVisits.Dashboard;
using ActorVisits.Entities.Windows;

namespace ActorVisits.Tests.Dashboard;

public sealed class TrendBoardTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_top_list_is_the_n_highest_counts_ties_by_url_as_a_full_sort_gives()
    {
        var board = new TrendBoard(WindowSet.Default);
        var window = WindowSet.Default.Windows[0];
        var random = new Random(7);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 3_000; i++)
        {
            // Few distinct counts, so that ties (ordered by URL) are common; some URLs at zero are never listed.
            var url = $"/u/{random.Next(2_000)}";
            var count = random.Next(12);
            board.Apply(window.Name, url, count, Start.AddSeconds(i), Start);
            if (count > 0 || counts.ContainsKey(url))
                counts[url] = count;
        }
        foreach (var n in new[] { 1, 2, 15, 500, 5_000 })
        {
            var expected = counts.Where(c => c.Value > 0).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Take(n).Select(c => (c.Key, c.Value)).ToList();
            Assert.Equal(expected, board.Top(window, n).Select(r => (r.Url, r.Count)).ToList());
        }
    }

    [Fact]
    public void A_url_that_came_while_every_history_was_taken_gets_one_once_another_leaves()
    {
        var board = new TrendBoard(WindowSet.Default);
        var windows = WindowSet.Default.Windows;
        for (var i = 0; i <= TrendBoard.MaxTrackedUrls; i++)
            board.Apply(windows[0].Name, $"/u/{i}", 1, Start, Start);
        var late = $"/u/{TrendBoard.MaxTrackedUrls}";
        var now = Start;
        board.Sample(now);
        Assert.Empty(board.Of(late)[0].Row.History);
        Assert.Single(board.Of("/u/0")[0].Row.History);

        // The first URL drops to zero and, once its whole history is zeros, leaves the board: its history goes to the late one.
        board.Apply(windows[0].Name, "/u/0", 0, Start.AddSeconds(1), Start);
        for (var step = 0; step <= 300 / TrendBoard.HistoryStep.TotalSeconds + 1; step++)
            board.Sample(now += TrendBoard.HistoryStep);
        Assert.NotEmpty(board.Of(late)[0].Row.History);
        Assert.Equal(1, board.Of(late)[0].Row.History[^1]);
    }
}
