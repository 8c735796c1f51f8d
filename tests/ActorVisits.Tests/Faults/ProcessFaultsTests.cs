using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorVisits.Tests.Faults;

/// <summary>
/// Faults in the processes: a member frozen past its session timeout that wakes up (a zombie), and a member killed and
/// restarted over and over on live traffic. Judged by the exact recount, each reporting a line of the fault matrix.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class ProcessFaultsTests(ITestOutputHelper output)
{
    private const int Partitions = 6;

    [Fact]
    public async Task A_member_frozen_past_its_session_then_woken_cannot_spoil_the_counts_a_consumer_keeps_by_version()
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 91, count: 12_000);
        var producing = faults.ProduceAsync(perSecond: 600);
        var survivor = faults.Start(ChildProcessor.QuickSessions);
        await Eventually.HoldsAsync(() => survivor.Running && faults.Run.Committed() >= 1_000, TimeSpan.FromSeconds(60), "the first member is processing");
        var zombie = faults.Start(ChildProcessor.QuickSessions);
        await Eventually.HoldsAsync(() => zombie.Running && zombie.ErrorSoFar.Contains("Assigned ") && faults.Run.Committed() >= 3_000, TimeSpan.FromSeconds(60),
            "the second member took some partitions");

        // Frozen (as by a long pause of its host) past its session timeout: the group gives its partitions to the other.
        // The survivor's assignments are counted, not just the commits: the frozen member may have committed up to the
        // input's end already, and without a takeover the test would not be what its name says.
        int Assignments() => survivor.ErrorSoFar.Split("ASSIGN: Assigned").Length - 1;
        var assignedBefore = Assignments();
        zombie.Signal("STOP");
        var frozenAt = faults.InputEnd();
        await Eventually.HoldsAsync(() => survivor.Running && Assignments() > assignedBefore && faults.Run.Committed() >= frozenAt, TimeSpan.FromSeconds(60),
            "the survivor took the frozen member's partitions");
        zombie.Signal("CONT");

        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => survivor.Running && zombie.Running, TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        await BrokerFaultsTests.StopAsync(faults, zombie);
        await BrokerFaultsTests.StopAsync(faults, survivor);
        BrokerFaultsTests.AssertExact(faults, partitionOf, FinalCounts.Pick.NewestVersion);

        // A stale update landing last (a zombie's, delayed in flight) fools a consumer that keeps the last record, not
        // one that keeps the newest version.
        var window = faults.Run.Settings.Windows[0];
        var updates = FinalCounts.Read(faults.Kafka, window.Topic);
        var final = FinalCounts.Kept(updates, FinalCounts.Pick.NewestVersion);
        var stale = updates.Where(u => u.Count != final[u.Url]).MinBy(u => u.Version)!;
        // Keyed by URL with the processor's own partitioner, so that it lands after the URL's other updates.
        using (var producer = new ProducerBuilder<string, byte[]>(ProducerSettings<string, byte[]>.Create(faults.Kafka.Client, Serializers.Utf8, Serializers.ByteArray).Config).Build())
        {
            var original = TestRecords.ReadAll(faults.Kafka.Client, window.Topic, TimeSpan.FromSeconds(30)).Single(r => r.Message.Key == stale.Url && r.Offset.Value == stale.Offset);
            await producer.ProduceAsync(window.Topic, new Message<string, byte[]> { Key = stale.Url, Value = original.Message.Value });
        }
        var landedLate = FinalCounts.Read(faults.Kafka, window.Topic);
        Assert.NotEqual(final[stale.Url], FinalCounts.Kept(landedLate, FinalCounts.Pick.LastRecord)[stale.Url]);
        Assert.Equal(final, FinalCounts.Kept(landedLate, FinalCounts.Pick.NewestVersion));
        faults.Report(output, "a member frozen (SIGSTOP) until the other took its partitions (past its 2 s session), then woken", catchUp);
    }

    /// <summary>The short form, in CI: 8 restarts in about 40 s.</summary>
    [Fact]
    public Task One_of_three_members_killed_and_restarted_8_times_on_live_traffic_counts_every_visit_once() => Churn(restarts: 8, seed: 92);

    /// <summary>The long form, run by hand (<c>dotnet test --filter Category=Soak</c>): 20 restarts over about 100 s.</summary>
    [Fact]
    [Trait("Category", "Soak")]
    public Task One_of_three_members_killed_and_restarted_20_times_on_live_traffic_counts_every_visit_once() => Churn(restarts: 20, seed: 93);

    [Fact]
    public async Task One_node_of_a_three_node_akka_cluster_killed_and_restarted_counts_every_visit_once()
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 94, count: 12_000);
        var ports = TestPorts.Free(6);
        ChildProcessor Node(int i) => faults.Track(ChildProcessor.StartClusterNode(faults.Run, ports[i], seedPort: ports[0], httpPort: ports[3 + i]));
        var producing = faults.ProduceAsync(perSecond: 400);
        var nodes = new[] { Node(0), Node(1), Node(2) };
        // Every node ready (an Up member, its partitions rebuilt) before one is killed: killed while another is still
        // joining, a cluster of two Up members splits one against one, and the split-brain resolver keeps the side of
        // the lowest address, which may be the dead one's.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.HoldsAsync(() => nodes.All(n => n.Running) && faults.Run.Committed() >= 4_000
                                           && Enumerable.Range(0, 3).All(i => NodeQueries.Ready(http, $"http://127.0.0.1:{ports[3 + i]}")),
            TimeSpan.FromSeconds(90), "the cluster is counting, every node ready");

        nodes[2].Signal("KILL");
        await Eventually.CompletesAsync(nodes[2].WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
        var killedAt = faults.InputEnd();
        await Eventually.HoldsAsync(() => nodes[0].Running && nodes[1].Running && faults.Run.Committed() >= killedAt, TimeSpan.FromSeconds(60), "the others took its partitions");
        nodes[2] = Node(2);

        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => nodes.All(n => n.Running), TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        foreach (var node in nodes)
            await BrokerFaultsTests.StopAsync(faults, node);
        BrokerFaultsTests.AssertExact(faults, partitionOf);
        faults.Report(output, "one node of a 3-node Akka cluster killed (SIGKILL) and restarted", catchUp);
    }

    private async Task Churn(int restarts, int seed)
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed, count: restarts * 2_000);
        var producing = faults.ProduceAsync(perSecond: 400);
        var steady = new[] { faults.Start(ChildProcessor.QuickSessions), faults.Start(ChildProcessor.QuickSessions) };
        var random = new Random(seed);
        for (var restart = 0; restart < restarts; restart++)
        {
            var churned = faults.Start(ChildProcessor.QuickSessions);
            var target = faults.Run.Committed() + random.Next(300, 1_200);
            await Eventually.HoldsAsync(() => churned.Running && steady.All(s => s.Running) && faults.Run.Committed() >= target, TimeSpan.FromSeconds(60),
                () => $"restart {restart}: the group committed {target} records (committed {faults.Run.Committed()})");
            churned.Signal("KILL");
            await Eventually.CompletesAsync(churned.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGKILL");
        }
        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => steady.All(s => s.Running), TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        foreach (var member in steady)
            await BrokerFaultsTests.StopAsync(faults, member);
        BrokerFaultsTests.AssertExact(faults, partitionOf);
        faults.Report(output, $"one of three members killed (SIGKILL) and restarted {restarts} times", catchUp);
    }
}
