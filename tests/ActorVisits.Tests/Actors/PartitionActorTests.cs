using ActorVisits.Actors;
using ActorVisits.Entities.Windows;
using Akka.Actor;
using Akka.TestKit;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Tests.Actors;

public sealed class PartitionActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset T0 = new(2019, 3, 2, 9, 21, 5, TimeSpan.Zero);
    private static readonly TimeSpan IdleAdvance = TimeSpan.FromSeconds(5);

    private readonly TestActorRef<PartitionActor> _partition;

    public PartitionActorTests() : base(CompactMailbox.Definition) =>
        _partition = ActorOfAsTestActorRef<PartitionActor>(PartitionActor.Props(WindowSet.Default, IdleAdvance));

    [Fact]
    public void A_visit_updates_each_window_of_its_url_with_the_window_bounds()
    {
        var updated = Count("/store/tech/tv", T0.AddMilliseconds(305));

        Assert.Empty(updated.Late);
        Assert.Equal(["30s:1", "1mn:1", "5mn:1"], updated.Updates.Select(u => $"{u.Window.Name}:{u.Count}"));
        var thirty = updated.Updates[0];
        Assert.Equal(T0.AddSeconds(-29), thirty.WindowStart);
        Assert.Equal(T0.AddSeconds(1), thirty.WindowEnd);
        Assert.Equal(1.0 / 30, thirty.PerSecond, 9);
    }

    [Fact]
    public void When_the_clock_second_advances_other_urls_send_the_updates_of_visits_that_expired()
    {
        Count("/a", T0);
        Count("/a", T0.AddSeconds(10));

        var updated = Count("/b", T0.AddSeconds(30));

        Assert.Equal(["/a 30s:1", "/b 1mn:1", "/b 30s:1", "/b 5mn:1"], Describe(updated));
        Assert.DoesNotContain(Count("/b", T0.AddSeconds(30.9)).Updates, u => u.Url == "/a"); // same second: the clock did not move
        Assert.Equal(["/a 30s:0", "/b 1mn:3", "/b 30s:3", "/b 5mn:3"], Describe(Count("/b", T0.AddSeconds(40))));
    }

    [Fact]
    public void An_out_of_order_visit_counts_only_in_the_windows_that_still_cover_its_second()
    {
        Count("/a", T0.AddSeconds(100));

        var updated = Count("/a", T0.AddSeconds(100 - 45));

        Assert.Equal(["/a 1mn:2", "/a 5mn:2"], Describe(updated));
    }

    [Fact]
    public void A_visit_older_than_the_longest_window_is_late_and_changes_nothing()
    {
        Count("/a", T0.AddSeconds(300));

        var late = Count("/a", T0);

        Assert.Equal([new LateVisit(0, T0.AddSeconds(300).ToUnixTimeSeconds())], late.Late);
        Assert.Empty(late.Updates);
        Assert.Equal(["/a 1mn:2", "/a 5mn:2"], Describe(Count("/a", T0.AddSeconds(241))));
    }

    [Fact]
    public void A_url_whose_windows_all_fall_to_zero_is_passivated_and_starts_afresh_on_its_next_visit()
    {
        Count("/a", T0);
        Count("/b", T0);
        Assert.Equal(2, _partition.UnderlyingActor.ActiveUrls);

        Assert.Equal(["/a 5mn:0", "/b 5mn:1"], Describe(Count("/b", T0.AddSeconds(300))).Where(d => d.Contains("5mn")));
        Assert.Equal(1, _partition.UnderlyingActor.ActiveUrls);

        Assert.Equal(["/a 1mn:1", "/a 30s:1", "/a 5mn:1"], Describe(Count("/a", T0.AddSeconds(301))).Where(d => d.StartsWith("/a")));
    }

    [Fact]
    public void An_idle_live_partition_follows_the_wall_clock_so_its_counts_decay()
    {
        Count("/a", T0, arrivedAt: T0);

        Assert.Empty(Tick(T0.AddSeconds(4)).Updates);                               // not idle long enough
        Assert.Equal(["/a 30s:0"], Describe(Tick(T0.AddSeconds(30))));
        Assert.Equal(["/a 1mn:0"], Describe(Tick(T0.AddSeconds(60))));
        Assert.Equal(["/a 5mn:0"], Describe(Tick(T0.AddSeconds(300))));
        Assert.Equal(0, _partition.UnderlyingActor.ActiveUrls);
    }

    [Fact]
    public void An_idle_live_partition_without_urls_left_still_follows_the_wall_clock_and_judges_the_next_visit_by_it()
    {
        Count("/a", T0, arrivedAt: T0);
        Assert.Equal(["/a 5mn:0"], Describe(Tick(T0.AddSeconds(300))).Where(d => d.Contains("5mn")));
        Assert.Equal(0, _partition.UnderlyingActor.ActiveUrls);

        // No URL actor left to tell, but 700 s more pass: a visit of second T0+299 is then far behind the stream time.
        Assert.Empty(Tick(T0.AddSeconds(1000)).Updates);
        var updated = Count("/b", T0.AddSeconds(299), arrivedAt: T0.AddSeconds(1000));

        Assert.Equal([new LateVisit(0, T0.AddSeconds(1000).ToUnixTimeSeconds())], updated.Late);
        Assert.Empty(updated.Updates);
    }

    [Fact]
    public void A_record_written_after_an_idle_spell_when_first_read_is_judged_against_the_clock_its_ticks_moved()
    {
        // The reference for the next test. First read, live: ticks moved the clock to T0+99, then a visit of T0+20
        // written at T0+100 counts in 5mn only.
        Count("/a", T0, arrivedAt: T0, writtenAt: T0);
        Assert.Equal(["/a 1mn:0", "/a 30s:0"], Describe(Tick(T0.AddSeconds(99))));
        Assert.Equal(["/a 5mn:2"], Describe(Count("/a", T0.AddSeconds(20), arrivedAt: T0.AddSeconds(100), writtenAt: T0.AddSeconds(100))));
    }

    [Fact]
    public void A_replay_and_the_records_read_again_after_it_meet_the_stream_time_their_write_times_tell()
    {
        // After a restart: the replay and the live read come minutes later, without the ticks of the first run. The
        // second record was written 100 s after the first, on a live partition: the clock moves to its write second
        // first, so it counts as it did when first read (above), not in 30s and 1mn as well.
        var later = T0.AddSeconds(500);
        Count("/a", T0, arrivedAt: later, writtenAt: T0);
        Assert.Equal(["/a 1mn:0", "/a 30s:0", "/a 5mn:2"], Describe(Count("/a", T0.AddSeconds(20), arrivedAt: later, writtenAt: T0.AddSeconds(100))));

        // A visit of T0+90 written at T0+400, when the first read found it late (its ticks had moved the clock there):
        // late again, and /a hears that its visits left the 5mn window as the clock moved.
        var late = Count("/b", T0.AddSeconds(90), arrivedAt: later, writtenAt: T0.AddSeconds(400));
        Assert.Equal([new LateVisit(0, T0.AddSeconds(400).ToUnixTimeSeconds())], late.Late);
        Assert.Equal(["/a 5mn:0"], Describe(late));
        Assert.Equal(0, _partition.UnderlyingActor.ActiveUrls);
    }

    [Fact]
    public void Write_times_do_not_move_a_backfill_of_old_visits_nor_a_partition_whose_records_follow_each_other_closely()
    {
        // Old visits written days later: not live when written, so their write times say nothing of their stream time.
        var written = T0.AddDays(3);
        Count("/a", T0, arrivedAt: written, writtenAt: written);
        Assert.Equal(["/a 1mn:2", "/a 30s:2", "/a 5mn:2"], Describe(Count("/a", T0.AddSeconds(20), arrivedAt: written.AddSeconds(100), writtenAt: written.AddSeconds(100))));

        // Live, but written less than idle-advance and the producers' clock skew apart (5 + 5 s): no idle spell, the
        // clock is the visits' own (two producers' clocks a few seconds apart make such gaps without any idle spell).
        Count("/c", T0.AddSeconds(100), arrivedAt: T0.AddSeconds(100), writtenAt: T0.AddSeconds(100));
        Assert.Equal(["/c 1mn:2", "/c 30s:2", "/c 5mn:2"], Describe(Count("/c", T0.AddSeconds(80), arrivedAt: T0.AddSeconds(109), writtenAt: T0.AddSeconds(109))).Where(d => d.StartsWith("/c")));
    }

    [Fact]
    public void A_partition_whose_records_are_only_delayed_keeps_its_stream_time()
    {
        Count("/a", T0, arrivedAt: T0);

        // Quiet for a minute, but its log holds records not handed over yet (unreachable brokers, backpressure).
        Assert.Empty(Tick(T0.AddSeconds(60), handledToTheEnd: false).Updates);
        Assert.Equal(["/a 1mn:2", "/a 30s:2", "/a 5mn:2"], Describe(Count("/a", T0.AddSeconds(20), arrivedAt: T0.AddSeconds(61))).Where(d => d.StartsWith("/a")));
    }

    [Fact]
    public void A_replay_of_old_data_is_never_moved_by_the_wall_clock()
    {
        Count("/a", T0, arrivedAt: T0.AddDays(1));

        Assert.Empty(Tick(T0.AddDays(1).AddMinutes(1)).Updates);
        Assert.Equal(1, _partition.UnderlyingActor.ActiveUrls);
    }

    [Fact]
    public void A_live_partition_held_up_for_longer_than_the_longest_window_still_follows_the_wall_clock_once_idle()
    {
        // Live when it arrived; the next ticks come 400 s later (a stream held up that long), past the longest window.
        Count("/a", T0, arrivedAt: T0);
        Count("/b", T0.AddSeconds(1), arrivedAt: T0.AddSeconds(1));

        Assert.Equal(["/a 1mn:0", "/a 30s:0", "/a 5mn:0", "/b 1mn:0", "/b 30s:0", "/b 5mn:0"], Describe(Tick(T0.AddSeconds(400))));
        Assert.Equal(0, _partition.UnderlyingActor.ActiveUrls);
    }

    [Fact]
    public void A_replay_is_judged_as_old_data_whatever_its_visits_times()
    {
        // A rebuild does not know when its records were first read: replayed visits arrive now, and old ones stay put.
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, rebuilding: true));
        var wallNow = T0.AddSeconds(400);
        partition.Tell(new ReplayVisits([new VisitAt("/a", T0, wallNow)]));
        ExpectMsg<Updated>();
        partition.Tell(ReplayDone.Instance);

        partition.Tell(new Tick(wallNow.AddSeconds(10)));
        Assert.Empty(ExpectMsg<Updated>().Updates);
        partition.Tell(new QueryUrl("/a", 0));
        Assert.All(ExpectMsg<UrlCounts>().Windows, w => Assert.Equal(1, w.Count));
    }

    [Fact]
    public void A_batch_is_answered_with_the_updates_of_each_of_its_visits_in_order()
    {
        _partition.Tell(new CountVisits([
            new VisitAt("/a", T0, T0), new VisitAt("/a", T0, T0), new VisitAt("/b", T0.AddSeconds(30), T0.AddSeconds(30)), new VisitAt("/a", T0.AddSeconds(-400), T0),
        ]));
        var updated = ExpectMsg<Updated>();

        // The fourth visit (index 3) is late at the stream second the /b visit moved the clock to.
        Assert.Equal([new LateVisit(3, T0.AddSeconds(30).ToUnixTimeSeconds())], updated.Late);
        Assert.Empty(updated.Failed);
        Assert.Equal(["/a 30s:1", "/a 1mn:1", "/a 5mn:1", "/a 30s:2", "/a 1mn:2", "/a 5mn:2", "/a 30s:0"],
            updated.Updates.Where(u => u.Url == "/a").Select(u => $"{u.Url} {u.Window.Name}:{u.Count}"));
        Assert.Equal(["/b 30s:1", "/b 1mn:1", "/b 5mn:1"], updated.Updates.Where(u => u.Url == "/b").Select(u => $"{u.Url} {u.Window.Name}:{u.Count}"));
    }

    [Fact]
    public void A_rebuilding_partition_counts_replayed_visits_silently_and_keeps_live_requests_until_the_replay_is_done()
    {
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, rebuilding: true));

        partition.Tell(new CountVisits([new VisitAt("/a", T0.AddSeconds(2), T0)]));   // live, kept
        partition.Tell(new Tick(T0.AddMinutes(1)));
        Assert.Empty(ExpectMsg<Updated>().Updates);                                    // ticks are not kept
        partition.Tell(new ReplayVisits([new VisitAt("/a", T0, T0), new VisitAt("/a", T0.AddSeconds(1), T0)]));
        Assert.Empty(ExpectMsg<Updated>().Updates);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));                                   // the live request waits for the replay
        partition.Tell(ReplayDone.Instance);

        Assert.Equal(["/a 1mn:3", "/a 30s:3", "/a 5mn:3"], Describe(ExpectMsg<Updated>()));
    }

    [Fact]
    public void A_partition_stopped_while_rebuilding_answers_what_it_kept_with_nothing()
    {
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, rebuilding: true));
        Watch(partition);

        partition.Tell(new CountVisits([new VisitAt("/a", T0, T0)]));
        partition.Tell(StopPartition.Instance);

        Assert.Empty(ExpectMsg<Updated>().Updates);
        ExpectTerminated(partition);
    }

    [Fact]
    public void Stopping_a_partition_answers_every_request_sent_before_the_stop_and_stops()
    {
        // A real mailbox (not the calling-thread one of a test actor reference), so the stop can arrive while the URL
        // actors' answers are on their way: those requests are answered with nothing (their assignment ended, their
        // offsets are never committed), the others with their updates; none is left unanswered.
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance));
        Watch(partition);

        partition.Tell(new CountVisits([new VisitAt("/a", T0, T0)]));
        partition.Tell(new CountVisits([new VisitAt("/b", T0.AddSeconds(31), T0.AddSeconds(31))]));
        partition.Tell(StopPartition.Instance);

        var first = Describe(ExpectMsg<Updated>()).ToList();
        Assert.True(first.Count == 0 || first.SequenceEqual(["/a 1mn:1", "/a 30s:1", "/a 5mn:1"]), string.Join(", ", first));
        var second = Describe(ExpectMsg<Updated>()).ToList();
        Assert.True(second.Count == 0 || second.SequenceEqual(["/a 30s:0", "/b 1mn:1", "/b 30s:1", "/b 5mn:1"]), string.Join(", ", second));
        ExpectTerminated(partition);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_update_matches_a_naive_recount_of_what_changed_when_random_batches_of_out_of_order_and_late_visits_are_pipelined(int seed)
    {
        var random = new Random(seed);
        var urls = Enumerable.Range(0, 8).Select(i => $"/u{i}").ToArray();
        var batches = new List<List<VisitAt>>();
        var at = T0;
        for (var i = 0; i < 600;)
        {
            var batch = new List<VisitAt>();
            for (var size = random.Next(1, 8); size > 0 && i < 600; size--, i++)
            {
                at = at.AddMilliseconds(random.Next(0, 3000));
                var eventTime = random.Next(10) switch
                {
                    0 => at.AddSeconds(-random.Next(1, 120)),   // out of order
                    1 => at.AddSeconds(-random.Next(300, 400)),  // probably late
                    _ => at,
                };
                batch.Add(new VisitAt(urls[random.Next(urls.Length)], eventTime, eventTime));
            }
            batches.Add(batch);
        }

        // All requests at once, on a real mailbox: the partition actor goes on before its URL actors have answered.
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance));
        var answers = await Task.WhenAll(batches.Select(b => partition.Ask<Updated>(new CountVisits(b), TimeSpan.FromSeconds(30))));

        var seen = new List<(string Url, long Second)>();
        var counts = new Dictionary<(string, string), int>();
        long streamSecond = long.MinValue;
        foreach (var (batch, updated) in batches.Zip(answers))
        {
            var expected = new List<(string Url, string Window, int Count)>();
            var late = new List<LateVisit>();
            foreach (var (visit, index) in batch.Select((v, i) => (v, i)))
            {
                var second = visit.EventTime.ToUnixTimeSeconds();
                if (streamSecond != long.MinValue && second <= streamSecond - WindowSet.Default.LongestSeconds)
                {
                    late.Add(new LateVisit(index, streamSecond));
                    continue;
                }
                seen.Add((visit.Url, second));
                streamSecond = Math.Max(streamSecond, second);
                foreach (var u in urls)
                {
                    foreach (var window in WindowSet.Default.Windows)
                    {
                        var count = seen.Count(v => v.Url == u && v.Second > streamSecond - window.Seconds && v.Second <= streamSecond);
                        // A window that the visit was added to is updated even when a visit leaving it at the same moment
                        // leaves its count unchanged; any other (URL, window) only when its count changed.
                        var addedTo = u == visit.Url && second > streamSecond - window.Seconds;
                        if (addedTo || count != counts.GetValueOrDefault((u, window.Name)))
                            expected.Add((u, window.Name, count));
                        counts[(u, window.Name)] = count;
                    }
                }
            }
            Assert.Equal(late, updated.Late);
            // Each (URL, window) gets its updates in order; different URLs' updates may interleave in any order.
            Assert.Equal(InOrderPerKey(expected), InOrderPerKey(updated.Updates.Select(u => (u.Url, u.Window.Name, u.Count))));
        }
    }

    [Fact]
    public void A_visit_whose_handling_throws_is_reported_by_its_index_and_the_other_visits_of_the_request_still_count()
    {
        var partition = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, failVisitsOfUrl: "/broken"));

        partition.Tell(new CountVisits([
            new VisitAt("/a", T0, T0), new VisitAt("/broken", T0.AddSeconds(1), T0), new VisitAt("/a", T0.AddSeconds(2), T0),
        ]));
        var updated = ExpectMsg<Updated>();

        var failure = Assert.Single(updated.Failed);
        Assert.Equal(1, failure.Visit);
        Assert.StartsWith("System.InvalidOperationException: injected fault", failure.Error);
        Assert.Equal(["/a 1mn:1", "/a 1mn:2", "/a 30s:1", "/a 30s:2", "/a 5mn:1", "/a 5mn:2"], Describe(updated));
        // The URL actor that threw is still there and the partition goes on.
        partition.Tell(new CountVisits([new VisitAt("/a", T0.AddSeconds(3), T0)]));
        Assert.Equal(["/a 1mn:3", "/a 30s:3", "/a 5mn:3"], Describe(ExpectMsg<Updated>()));
    }

    private static List<string> InOrderPerKey(IEnumerable<(string Url, string Window, int Count)> updates) =>
        updates.GroupBy(u => $"{u.Url} {u.Window}")
            .Select(g => $"{g.Key}: {string.Join(",", g.Select(u => u.Count))}")
            .Order(StringComparer.Ordinal).ToList();

    private Updated Count(string url, DateTimeOffset at, DateTimeOffset? arrivedAt = null, DateTimeOffset? writtenAt = null)
    {
        _partition.Tell(new CountVisits([new VisitAt(url, at, arrivedAt ?? at, WrittenSecond: writtenAt?.ToUnixTimeSeconds() ?? PartitionClock.Unknown)]));
        return ExpectMsg<Updated>();
    }

    private Updated Tick(DateTimeOffset wallNow, bool handledToTheEnd = true)
    {
        _partition.Tell(new Tick(wallNow, handledToTheEnd));
        return ExpectMsg<Updated>();
    }

    private static IEnumerable<string> Describe(Updated updated) =>
        updated.Updates.Select(u => $"{u.Url} {u.Window.Name}:{u.Count}").Order(StringComparer.Ordinal);
}
