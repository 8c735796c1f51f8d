using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Entities;

/// <summary>The partition actor's pure helpers against naive models, after every step of random sequences.</summary>
public sealed class SecondIndexProperties
{
    private static readonly WindowSet Windows = WindowSet.Default;

    private sealed class Url(int id) : ISecondIndexed
    {
        public int Id { get; } = id;

        public long IndexedAt { get; set; } = long.MinValue;

        public ulong IndexedBefore { get; set; }
    }

    [Fact]
    public void A_url_whose_visits_alternate_between_two_seconds_is_held_once_under_each()
    {
        var url = new Url(0);
        var index = new SecondIndex<Url>(Windows);
        for (var i = 0; i < 10_000; i++)
            index.Add(1_000 + i % 2, url);
        // 1,000 leaves the 30 s window as the clock reaches 1,030; 1,001 as it reaches 1,031.
        Assert.Single(index.Leaving(1_029, 1_030));
        Assert.Single(index.Leaving(1_030, 1_031));
    }

    /// <summary>Visits of one URL anywhere within <see cref="SecondIndex{T}.RememberedSeconds"/> of its latest, in any order: once per second.</summary>
    [Property(MaxTest = 500)]
    public bool A_url_is_held_once_per_second_while_its_visits_stay_within_the_remembered_seconds(byte[] steps)
    {
        var url = new Url(0);
        var index = new SecondIndex<Url>(Windows);
        const long latest = 10_000;
        index.Add(latest, url);
        var seconds = new HashSet<long> { latest };
        foreach (var step in steps)
        {
            var second = latest - step % SecondIndex<Url>.RememberedSeconds;
            index.Add(second, url);
            seconds.Add(second);
        }
        // Moving the clock 30 s names each URL once per second that leaves a window on the way, not once per visit.
        var leaving = Enumerable.Range(1, 30).SelectMany(n => Windows.Windows.Select(w => latest + n - w.Seconds));
        return index.Leaving(latest, latest + 30).Count() == leaving.Count(seconds.Contains);
    }

    /// <summary>
    /// Each step is decoded from an integer: a non-negative one is a visit of URL (step mod 7) that many seconds
    /// (modulo the longest window) before the clock; a negative one moves the clock forward by up to 40 seconds.
    /// Leaving must name exactly the URLs with a visit in a second that leaves some window.
    /// </summary>
    [Property(MaxTest = 1_000)]
    public bool Leaving_names_exactly_the_urls_with_a_visit_in_a_second_that_leaves_a_window(int start, int[] steps)
    {
        var urls = Enumerable.Range(0, 7).Select(i => new Url(i)).ToArray();
        var index = new SecondIndex<Url>(Windows);
        var visits = new List<(long Second, int Url)>();
        long now = start;
        foreach (var step in steps)
        {
            if (step >= 0)
            {
                var second = now - step % Windows.LongestSeconds;
                index.Add(second, urls[step % urls.Length]);
                visits.Add((second, step % urls.Length));
                continue;
            }
            var to = now + 1 + (-(long)step) % 40;
            var leavingSeconds = Enumerable.Range(1, (int)(to - now)).SelectMany(n => Windows.Windows.Select(w => now + n - w.Seconds)).ToHashSet();
            var expected = visits.Where(v => leavingSeconds.Contains(v.Second)).Select(v => v.Url).ToHashSet();
            if (!index.Leaving(now, to).Select(u => u.Id).ToHashSet().SetEquals(expected))
                return false;
            index.Forget(now, to);
            now = to;
            // What left the longest window is forgotten, as the index forgets it.
            visits.RemoveAll(v => v.Second <= now - Windows.LongestSeconds);
        }
        return true;
    }

    /// <summary>
    /// Source offsets of a few source partitions, produced in order and, after a restart, again from an earlier
    /// offset: a copy is exactly a record whose offset is not above every one seen before from its source partition.
    /// </summary>
    [Property(MaxTest = 1_000)]
    public bool A_copy_is_exactly_a_record_not_above_every_offset_seen_from_its_source_partition(byte[] steps)
    {
        var copies = new RepartitionCopies();
        var next = new long[3];
        var highest = new long?[3];
        foreach (var step in steps)
        {
            var partition = step % 3;
            if (step % 11 == 0)
                next[partition] = Math.Max(0, next[partition] - step % 17);   // a restart re-produces from an earlier offset
            var offset = next[partition]++;
            var expected = highest[partition] is { } seen && offset <= seen;
            if (copies.IsCopy(partition, offset) != expected)
                return false;
            highest[partition] = Math.Max(highest[partition] ?? -1, offset);
        }
        return !copies.IsCopy(-1, 0);
    }
}
