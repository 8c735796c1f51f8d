using System.Diagnostics;
using ActorVisits.Tests.Support;
using Xunit.Abstractions;

namespace ActorVisits.Tests.Faults;

/// <summary>
/// A 3-node Akka cluster across hosts: each node in its own network namespace, configured as compose configures a
/// container (hocon/cluster-node.conf, the same environment, restarted when it exits), the embedded brokers reached
/// through the bridge. The network between them fails on live traffic; every test is judged by the exact recount, and
/// after healing by the queries of every node, and reports the timings of docs/reliability.md (to detect, to down, to
/// move partitions, to answer queries again).
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class NetworkFaultsTests(ITestOutputHelper output)
{
    private const int Partitions = 6;
    private const int PerSecond = 200;
    private static readonly TimeSpan FaultDuration = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_node_cut_off_from_its_peers_but_not_from_kafka_for_30_s_is_downed_by_the_majority_and_rejoins_without_a_visit_counted_twice()
    {
        await using var lab = await LabRun.StartAsync(output, seed: 131, seconds: 55);
        var timings = await lab.CutAndMeasureAsync(3, NetworkLab.Cut.FromPeers, FaultDuration);
        await lab.HealAndFinishAsync("node 3 cut off from its peers (not from Kafka) for 30 s", timings);
        Assert.Contains(lab.Node(3).Exits, e => e.Code == 1 && e.Error.Contains("the cluster downed this node", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_cut_off_from_everything_for_30_s_is_downed_and_its_partitions_move_then_it_rejoins()
    {
        await using var lab = await LabRun.StartAsync(output, seed: 132, seconds: 55);
        var timings = await lab.CutAndMeasureAsync(3, NetworkLab.Cut.FromEverything, FaultDuration);
        // Node 3's produce requests in flight when it was cut off are retransmitted by its kernel once the network heals,
        // even after the process has exited: they can land after the updates of the partitions' next owners. Such a
        // zombie's late updates carry an older generation; the newest version is the count (docs/reliability.md).
        await lab.HealAndFinishAsync("node 3 cut off from everything for 30 s", timings, FinalCounts.Pick.NewestVersion);
        Assert.Contains(lab.Node(3).Exits, e => e.Code == 1);
    }

    [Fact]
    public async Task Every_node_cut_off_from_the_brokers_for_20_s_keeps_the_cluster_and_catches_up()
    {
        await using var lab = await LabRun.StartAsync(output, seed: 133, seconds: 45);
        var cut = Stopwatch.StartNew();
        for (var node = 1; node <= 3; node++)
            lab.Lab.Isolate(node, NetworkLab.Cut.FromBrokers);
        // The fault lasts its length whatever happens meanwhile: nothing to wait for, the cluster must simply stay whole.
        await Task.Delay(TimeSpan.FromSeconds(20));
        lab.AssertNoNodeExited();
        // Through /metrics, which a busy node may answer late: no answer is asked again; a smaller count fails.
        double? up = null;
        await Eventually.HoldsAsync(() => (up = lab.Metric(1, "actorvisits_cluster_members{status=\"Up\"}")) is not null, TimeSpan.FromSeconds(10),
            "node 1's /metrics answers");
        Assert.Equal(3, (int)up!.Value);
        var timings = new LabRun.Timings { CutFor = cut.Elapsed };
        await lab.HealAndFinishAsync("every node cut off from the brokers for 20 s", timings);
        // One incarnation each, ended by the graceful stop.
        Assert.All(Enumerable.Range(1, 3), n => Assert.Equal([0], lab.Node(n).Exits.Select(e => e.Code)));
    }

    [Fact]
    public async Task The_node_running_the_shard_coordinator_cut_off_from_its_peers_for_30_s_hands_it_over_and_rejoins_the_majority_not_a_cluster_of_its_own()
    {
        // Node 1, the first seed, is the oldest member: it runs the shard coordinator. Downed, it restarts while still
        // cut off and, as the first seed, starts a cluster of its own, which min-nr-of-members keeps from going Up (it
        // consumes nothing there); past the join-timeout it exits, is restarted, and once healed joins the majority.
        await using var lab = await LabRun.StartAsync(output, seed: 134, seconds: 80);
        var timings = await lab.CutAndMeasureAsync(1, NetworkLab.Cut.FromPeers, FaultDuration);
        await lab.HealAndFinishAsync("node 1 (oldest: shard coordinator, first seed) cut off from its peers for 30 s", timings);
        Assert.Contains(lab.Node(1).Exits, e => e.Code == 1);
    }

    /// <summary>The lab, the brokers, the traffic and the three supervised nodes of one test.</summary>
    private sealed class LabRun : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly LabNode[] _nodes;
        private readonly Task<Dictionary<string, int>> _producing;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };
        private readonly List<string> _urls;

        private LabRun(ITestOutputHelper output, NetworkLab lab, FaultRun faults, LabNode[] nodes, Task<Dictionary<string, int>> producing)
        {
            _output = output;
            Lab = lab;
            Faults = faults;
            _nodes = nodes;
            _producing = producing;
            _urls = faults.Input.Valid.Select(v => v.Visit.Url).Distinct().Order(StringComparer.Ordinal).ToList();
        }

        public NetworkLab Lab { get; }

        public FaultRun Faults { get; }

        public LabNode Node(int number) => _nodes[number - 1];

        /// <summary>A lab of three nodes counting live traffic of <paramref name="seconds"/> at <see cref="PerSecond"/> visits/s.</summary>
        public static async Task<LabRun> StartAsync(ITestOutputHelper output, int seed, int seconds)
        {
            var lab = NetworkLab.Create(nodes: 3);
            FaultRun? faults = null;
            var nodes = new List<LabNode>();
            try
            {
                faults = await FaultRun.CreateAsync(Partitions, seed, count: seconds * PerSecond, advertiseHost: lab.HostAddress);
                var brokerPort = int.Parse(faults.Broker.BootstrapServers.Split(',')[0].Split(':')[1]);
                var topics = ChildProcessor.ConfigOf(faults.Run);
                for (var node = 1; node <= 3; node++)
                    nodes.Add(LabNode.Start(lab, node, brokerPort, topics, child => faults.Track(child)));
                var run = new LabRun(output, lab, faults, [.. nodes], faults.ProduceAsync(PerSecond));
                await run.AllReadyAsync(TimeSpan.FromSeconds(90), "the cluster formed and every node is ready");
                // Faults start once the group has spread the partitions over the three nodes.
                await Eventually.HoldsAsync(() => Enumerable.Range(1, 3).All(n => run.Metric(n, "actorvisits_assigned_partitions") >= 1)
                                                  && Enumerable.Range(1, 3).Sum(n => run.Metric(n, "actorvisits_assigned_partitions") ?? 0) == Partitions
                                                  && faults.Run.Committed() >= 1_000,
                    TimeSpan.FromSeconds(60), "every node counts some partitions");
                return run;
            }
            catch
            {
                foreach (var node in nodes)
                    output.WriteLine($"node {node.Number}:\n{await node.DiagnosticsAsync()}");
                foreach (var node in nodes)
                    await node.DisposeAsync();
                if (faults is not null)
                    await faults.DisposeAsync();
                await lab.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// Cuts <paramref name="node"/> off for <paramref name="length"/>, measuring meanwhile when the others find it
        /// unreachable, when it is downed and removed, when they consume all its partitions, and when they answer for
        /// every URL again.
        /// </summary>
        public async Task<Timings> CutAndMeasureAsync(int node, NetworkLab.Cut cut, TimeSpan length)
        {
            var others = Enumerable.Range(1, 3).Where(n => n != node).ToList();
            var exitsBefore = Node(node).Exits.Count;
            var clock = Stopwatch.StartNew();
            Lab.Isolate(node, cut);
            var timings = new Timings();
            try
            {
                await Eventually.HoldsAsync(() => others.Any(o => Metric(o, "actorvisits_cluster_unreachable_members") >= 1), length, "the others find the node unreachable");
                timings.Detected = clock.Elapsed;
                await Eventually.HoldsAsync(() => Node(node).Exits.Count > exitsBefore, length, "the node cut off is downed and exits");
                timings.Exited = clock.Elapsed;
                await Eventually.HoldsAsync(() => others.All(o => UpMembersSeenBy(o) == 2 && Metric(o, "actorvisits_cluster_unreachable_members") == 0), length,
                    "the others removed it");
                timings.Removed = clock.Elapsed;
                await Eventually.HoldsAsync(() => others.Sum(o => Metric(o, "actorvisits_assigned_partitions") ?? 0) == Partitions && others.All(o => Metric(o, "actorvisits_ready") == 1),
                    length, "the others consume every partition, rebuilt");
                timings.Moved = clock.Elapsed;
                await Eventually.HoldsAsync(() => others.All(o => NodeQueries.AnswersAll(_http, Node(o).Http, _urls)), length, "the others answer for every URL");
                timings.Answering = clock.Elapsed;
                Assert.True(others.All(o => Node(o).Exits.Count == 0), "the majority's nodes kept running");
            }
            catch (TimeoutException e)
            {
                throw new Xunit.Sdk.XunitException($"{e.Message} (after {clock.Elapsed.TotalSeconds:0.0} s)\n{await DiagnosticsAsync()}");
            }
            // The fault lasts its length whatever happened meanwhile.
            if (length - clock.Elapsed is { TotalMilliseconds: > 0 } rest)
                await Task.Delay(rest);
            timings.CutFor = clock.Elapsed;
            return timings;
        }

        /// <summary>
        /// Heals the network, waits for the three nodes to be ready in one cluster and the group to commit all the
        /// traffic, checks every node's answers against the output topics, stops the nodes gracefully, then checks the
        /// exact recount and reports.
        /// </summary>
        public async Task HealAndFinishAsync(string fault, Timings timings, FinalCounts.Pick pick = FinalCounts.Pick.LastRecord)
        {
            Lab.Heal();
            var healed = Stopwatch.StartNew();
            try
            {
                await AllReadyAsync(TimeSpan.FromSeconds(120), "after healing, the three nodes are ready in one cluster");
                timings.ReadyAfterHeal = healed.Elapsed;
                var partitionOf = await Eventually.CompletesAsync(_producing, TimeSpan.FromSeconds(120), "the traffic was produced");
                var catchUp = await Faults.CatchUpAsync(Faults.InputEnd(), () => true, TimeSpan.FromSeconds(120));
                await AllReadyAsync(TimeSpan.FromSeconds(60), "the three nodes are still ready in one cluster");
                var expected = NodeQueries.LastOutputs(Faults.Run);
                foreach (var node in _nodes)
                    await NodeQueries.AssertAnswersAsync(_http, node.Http, _urls, expected, Faults.Run.Settings.Windows, TimeSpan.FromSeconds(60));
                // Stopped together, as `docker compose stop` does: each drains, commits and leaves.
                var exitCodes = await Task.WhenAll(_nodes.Select(n => n.StopAsync(TimeSpan.FromSeconds(40))));
                Assert.All(exitCodes, code => Assert.Equal(0, code));
                BrokerFaultsTests.AssertExact(Faults, partitionOf, pick);
                FinalCounts.AssertDuplicatesAgree(Faults.Kafka, Faults.Run);
                Faults.Report(_output, $"{fault}: {timings}", catchUp);
                foreach (var node in _nodes)
                    _output.WriteLine($"node {node.Number}: exit codes [{string.Join(", ", node.Exits.Select(e => e.Code))}]");
            }
            catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{e.Message}\n{timings}\n{await DiagnosticsAsync()}");
            }
        }

        public void AssertNoNodeExited()
        {
            foreach (var node in _nodes)
                Assert.True(node.Exits.Count == 0, $"node {node.Number} exited: {node.Exits.FirstOrDefault()?.Error}");
        }

        /// <summary>Members with status Up as node <paramref name="node"/> sees them (its /metrics), 0 without an answer.</summary>
        public int UpMembersSeenBy(int node) => (int)(MetricLine(node, "actorvisits_cluster_members{status=\"Up\"}") ?? 0);

        private Task AllReadyAsync(TimeSpan within, string what) => Eventually.HoldsAsync(
            () => _nodes.All(n => Metric(n.Number, "actorvisits_ready") == 1 && UpMembersSeenBy(n.Number) == 3),
            within, () => $"{what} (ready: {string.Join(", ", _nodes.Select(n => $"node {n.Number} {Metric(n.Number, "actorvisits_ready")}, sees {UpMembersSeenBy(n.Number)} up"))})");

        public double? Metric(int node, string name) => MetricLine(node, name);

        /// <summary>The value of the sample <paramref name="sample"/> (a name, with its labels if any) in the node's /metrics; null without an answer.</summary>
        private double? MetricLine(int node, string sample)
        {
            try
            {
                var text = _http.GetStringAsync($"{Node(node).Http}/metrics").GetAwaiter().GetResult();
                var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
                return line is null ? null : double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return null;
            }
        }

        private async Task<string> DiagnosticsAsync()
        {
            var lines = new List<string>();
            foreach (var node in _nodes)
                lines.Add($"node {node.Number}:\n{await node.DiagnosticsAsync()}");
            return string.Join("\n", lines);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in _nodes)
                await node.DisposeAsync();
            _http.Dispose();
            await Faults.DisposeAsync();
            await Lab.DisposeAsync();
        }

        /// <summary>What a cut cost, from its start: the figures of docs/reliability.md.</summary>
        public sealed class Timings
        {
            public TimeSpan? Detected { get; set; }
            public TimeSpan? Exited { get; set; }
            public TimeSpan? Removed { get; set; }
            public TimeSpan? Moved { get; set; }
            public TimeSpan? Answering { get; set; }
            public TimeSpan CutFor { get; set; }
            public TimeSpan? ReadyAfterHeal { get; set; }

            public override string ToString() =>
                $"unreachable {S(Detected)} | cut node exits {S(Exited)} | removed {S(Removed)} | partitions moved {S(Moved)} | queries answered {S(Answering)} | " +
                $"healed at {S(CutFor)}, all ready {S(ReadyAfterHeal)} later";

            private static string S(TimeSpan? time) => time is { } t ? $"{t.TotalSeconds:0.0} s" : "-";
        }
    }
}
