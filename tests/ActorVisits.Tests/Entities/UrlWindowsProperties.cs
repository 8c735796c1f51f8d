using ActorVisits.Entities.Windows;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Entities;

/// <summary>The ring-buffer windows against a naive reference that recounts a list of visit seconds after every step.</summary>
public sealed class UrlWindowsProperties
{
    private static readonly WindowSet Windows = WindowSet.Default;

    /// <summary>
    /// Each step is decoded from an integer: a non-negative one adds a visit that many seconds (modulo the longest window)
    /// before the clock, a negative one advances the clock, by a large jump for multiples of 7 so that whole-ring
    /// expiry is exercised too.
    /// </summary>
    [Property(MaxTest = 500)]
    public bool Counts_and_changed_windows_match_a_naive_recount(int start, int[] steps)
    {
        var now = (long)start;
        var windows = new UrlWindows(Windows, now);
        var visits = new List<long>();
        foreach (var step in steps)
        {
            var before = Recount(visits, now);
            uint changed;
            if (step >= 0)
            {
                var second = now - step % Windows.LongestSeconds;
                if (!windows.Accepts(second))
                    return false;
                changed = windows.Add(second);
                visits.Add(second);
            }
            else
            {
                now += step % 7 == 0 ? -step * 13L : -step;
                changed = windows.AdvanceTo(now);
            }
            var after = Recount(visits, now);
            for (var i = 0; i < Windows.Count; i++)
            {
                if (windows.Count(i) != after[i])
                    return false;
                if (((changed >> i) & 1) == 1 != (before[i] != after[i]))
                    return false;
            }
            if (windows.IsEmpty != after.All(count => count == 0) || windows.Now != now)
                return false;
        }
        return true;
    }

    [Property]
    public bool A_visit_older_than_the_longest_window_or_in_the_future_is_not_accepted(int start, byte ahead)
    {
        var windows = new UrlWindows(Windows, start);
        return !windows.Accepts(start - (long)Windows.LongestSeconds) && windows.Accepts(start - Windows.LongestSeconds + 1L)
               && !windows.Accepts(start + 1L + ahead) && windows.Accepts(start);
    }

    [Fact]
    public void A_visit_counts_in_every_window_that_covers_it_and_leaves_each_when_it_ends()
    {
        var windows = new UrlWindows(Windows, 1000);
        Assert.Equal(0b111u, windows.Add(1000));
        Assert.Equal(0b110u, windows.Add(955));

        Assert.Equal(0u, windows.AdvanceTo(1014));
        Assert.Equal(0b010u, windows.AdvanceTo(1015));      // 955 leaves the 1 min window (956..1015)
        Assert.Equal(0b001u, windows.AdvanceTo(1030));      // 1000 leaves the 30 s window (1001..1030)
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0u, windows.AdvanceTo(1020));          // the clock never moves backwards
        Assert.Equal(0b110u, windows.AdvanceTo(1299));      // 1000 left the 1 min window at 1060, 955 the 5 min one at 1255
        Assert.Equal([0, 0, 1], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0b100u, windows.AdvanceTo(2000));
        Assert.True(windows.IsEmpty);
    }

    [Fact]
    public void A_second_with_more_visits_than_16_bits_hold_widens_the_ring_without_losing_any()
    {
        var windows = new UrlWindows(Windows, 1000);
        windows.Add(990);
        for (var i = 0; i < 70_000; i++)
            windows.Add(1000);

        Assert.Equal([70_001, 70_001, 70_001], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0b001u, windows.AdvanceTo(1020));
        Assert.Equal([70_000, 70_001, 70_001], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0b001u, windows.AdvanceTo(1030));
        Assert.Equal([0, 70_001, 70_001], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0b110u, windows.AdvanceTo(1300));
        Assert.True(windows.IsEmpty);
    }

    [Fact]
    public void Visits_in_more_seconds_than_pairs_hold_move_to_a_ring_without_losing_any_and_it_widens_later()
    {
        var windows = new UrlWindows(Windows, 1000);
        for (var i = 0; i < 70_000; i++)
            windows.Add(1000);
        // Nine distinct seconds: the pairs become a ring, of 32 bits at once since one second holds more than 16 bits do.
        for (var second = 992; second < 1000; second++)
            windows.Add(second);
        Assert.Equal([70_008, 70_008, 70_008], Enumerable.Range(0, 3).Select(windows.Count));
        Assert.Equal(0b001u, windows.AdvanceTo(1022));      // 992 leaves the 30 s window (993..1022)
        Assert.Equal([70_007, 70_008, 70_008], Enumerable.Range(0, 3).Select(windows.Count));

        var narrow = new UrlWindows(Windows, 1000);
        for (var second = 990; second <= 1000; second++)
            narrow.Add(second);
        for (var i = 0; i < 70_000; i++)
            narrow.Add(995);
        Assert.Equal([70_011, 70_011, 70_011], Enumerable.Range(0, 3).Select(narrow.Count));
        Assert.Equal(0b001u, narrow.AdvanceTo(1025));       // 990..995 leave the 30 s window (996..1025)
        Assert.Equal([5, 70_011, 70_011], Enumerable.Range(0, 3).Select(narrow.Count));
    }

    private static int[] Recount(List<long> visits, long now) =>
        Windows.Windows.Select(w => visits.Count(second => second > now - w.Seconds && second <= now)).ToArray();
}
