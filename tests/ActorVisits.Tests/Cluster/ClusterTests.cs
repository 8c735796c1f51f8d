using System.Diagnostics;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Cluster;

/// <summary>
/// Three `actorvisits process --cluster` children on loopback form one Akka cluster and one consumer group. Any node
/// answers for any URL (through sharding, shard = the URL's partition) with the counts of the output topics; when the
/// first node (the seed, which hosts the shard coordinator) is killed, the other two take its partitions and shards
/// over, rebuild them, and answer the same counts. The nodes re-key the input through a repartition topic
/// (<c>repartition = on</c>), so the cluster also counts through it, copies included.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class ClusterTests(EmbeddedKafkaFixture kafka)
{
    private const int Partitions = 6;

    [Fact]
    public async Task Three_nodes_answer_every_url_with_the_counts_of_the_output_topics_before_and_after_one_is_killed()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        // With as many partitions as the input, a URL keeps its partition number and, read from one input partition
        // and re-keyed in order, its order: the recount of the input applies.
        var repartition = await kafka.NewTopicAsync(Partitions, "repartition");
        var input = InputStream.Generate(seed: 47, count: 6_000, urls: 30);
        var ports = TestPorts.Free(6);
        var config = $"actorvisits.processor {{ repartition = on, repartition-topic = \"{repartition}\" }}";
        var nodes = Enumerable.Range(0, 3).Select(i => ChildProcessor.StartClusterNode(run, ports[i], seedPort: ports[0], httpPort: ports[3 + i], config)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            // Nodes join (and the group rebalances) while the visits arrive.
            var partitionOf = await Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, perSecond: 2_000));
            await Eventually.HoldsAsync(() => nodes.All(n => !n.HasExited) && run.Lag() == 0 && CountingLag(run, repartition) == 0,
                TimeSpan.FromSeconds(120), "the cluster processed every visit");
            FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);
            var expected = NodeQueries.LastOutputs(run);
            var urls = partitionOf.Keys.Order(StringComparer.Ordinal).ToList();

            foreach (var httpPort in ports[3..])
                await NodeQueries.AssertAnswersAsync(http, $"http://127.0.0.1:{httpPort}", urls, expected, run.Settings.Windows, TimeSpan.FromSeconds(60));
            Assert.Contains($"{expected[(urls[0], "5mn")],10}", await QueryCommandAsync(urls[0], ports[4]));
            await AssertDashboardsShowTheWholeClusterAsync(http, ports[3..], expected);

            nodes[0].Signal("KILL");
            await Eventually.CompletesAsync(nodes[0].WaitForExitAsync(), TimeSpan.FromSeconds(10), "the first node was killed");
            foreach (var httpPort in ports[4..])
                await NodeQueries.AssertAnswersAsync(http, $"http://127.0.0.1:{httpPort}", urls, expected, run.Settings.Windows, TimeSpan.FromSeconds(60));
            Assert.True(nodes.Skip(1).All(n => !n.HasExited), "the other nodes still run");
            Assert.Equal(0, run.Lag() + CountingLag(run, repartition));

            // A graceful stop drains, commits and leaves the cluster. One node at a time: a node leaving starts a
            // rebalance of the other's groups, which the embedded broker takes 9-18 s to finish (a real one well under a
            // second), and a node stopped during it waits for it to close its consumer, past its 10 s to drain.
            foreach (var node in nodes.Skip(1))
            {
                node.Signal("TERM");
                await Eventually.CompletesAsync(node.WaitForExitAsync(), TimeSpan.FromSeconds(60), "a node stopped");
                Assert.True(node.ExitCode == 0, $"exit code {node.ExitCode}: {await node.StandardError}");
            }
        }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException)
        {
            var diagnostics = new List<string>();
            for (var i = 0; i < nodes.Count; i++)
                diagnostics.Add($"node {i}:\n{await nodes[i].DiagnosticsAsync()}");
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{string.Join("\n", diagnostics)}");
        }
        finally
        {
            foreach (var node in nodes)
                node.Dispose();
        }
    }

    /// <summary>
    /// Every node's dashboard API gives the whole cluster's top URLs (the last updates of the window topics, whoever
    /// produced them), and its pipeline lists the three nodes and every partition, each owned by one of them.
    /// </summary>
    private static async Task AssertDashboardsShowTheWholeClusterAsync(HttpClient http, IEnumerable<int> httpPorts, Dictionary<(string Url, string Window), int> expected)
    {
        var wanted = expected.Where(e => e.Key.Window == "5mn" && e.Value > 0)
            .OrderByDescending(e => e.Value).ThenBy(e => e.Key.Url, StringComparer.Ordinal).Select(e => $"{e.Key.Url}={e.Value}").ToList();
        foreach (var port in httpPorts)
        {
            var node = $"http://127.0.0.1:{port}";
            await Eventually.HoldsAsync(() =>
            {
                var top = System.Text.Json.JsonDocument.Parse(http.GetStringAsync($"{node}/api/top?window=5mn&n=1000").GetAwaiter().GetResult()).RootElement;
                return top.GetProperty("urls").EnumerateArray().Select(u => $"{u.GetProperty("url").GetString()}={u.GetProperty("count").GetInt32()}").SequenceEqual(wanted);
            }, TimeSpan.FromSeconds(30), $"{node}/api/top shows the whole cluster's last updates");
            // The group may still be moving a partition (a node joined late): once it settles, each is owned once.
            var pipeline = "";
            await Eventually.HoldsAsync(() =>
            {
                pipeline = http.GetStringAsync($"{node}/api/pipeline").GetAwaiter().GetResult();
                var root = System.Text.Json.JsonDocument.Parse(pipeline).RootElement;
                var nodes = root.GetProperty("nodes").EnumerateArray().ToList();
                var names = nodes.Select(n => n.GetProperty("node").GetString()).ToHashSet();
                var owners = root.GetProperty("partitions").EnumerateArray().Select(p => (Partition: p.GetProperty("partition").GetInt32(), Node: p.GetProperty("node").GetString())).ToList();
                return nodes.Count == 3 && nodes.All(n => n.GetProperty("state").GetString() == "counting")
                       && owners.Select(o => o.Partition).SequenceEqual(Enumerable.Range(0, Partitions)) && owners.All(o => names.Contains(o.Node));
            }, TimeSpan.FromSeconds(30), () => $"{node}/api/pipeline lists three counting nodes owning every partition once: {pipeline}");
        }
    }

    private long CountingLag(ProcessorRun run, string repartitionTopic) =>
        kafka.Broker.DescribeGroupOffsetsAsync($"{run.Settings.GroupId}.by-url", repartitionTopic, CancellationToken.None).GetAwaiter().GetResult().Sum(p => p.Lag);

    /// <summary>
    /// The `actorvisits query` command against the node at <paramref name="httpPort"/>; its standard output. Exit code 3
    /// (the URL's partition is being taken over: a node that joined late still moves the group's partitions) is asked
    /// again, as the command tells its users, for up to 60 s.
    /// </summary>
    private static async Task<string> QueryCommandAsync(string url, int httpPort)
    {
        var asking = Stopwatch.StartNew();
        while (true)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { Path.Combine(AppContext.BaseDirectory, "actorvisits.dll"), "query", "--url", url, "--node", $"http://127.0.0.1:{httpPort}" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var query = Process.Start(start)!;
            var output = query.StandardOutput.ReadToEndAsync();
            var errors = query.StandardError.ReadToEndAsync();
            await Eventually.CompletesAsync(query.WaitForExitAsync(), TimeSpan.FromSeconds(30), "the query command answered");
            if (query.ExitCode == 3 && asking.Elapsed < TimeSpan.FromSeconds(60))
                continue;
            Assert.True(query.ExitCode == 0, $"exit code {query.ExitCode}: {await errors}");
            return await output;
        }
    }
}
