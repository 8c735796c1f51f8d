using ActorVisits.Kafka.Embedded;
using ActorVisits.Tests.Support;
using Xunit.Abstractions;

namespace ActorVisits.Tests.Faults;

/// <summary>
/// Faults in the brokers, injected through the embedded broker's fault plans while the real `actorvisits process`
/// counts live traffic: each run must end with the exact recount (no acknowledged visit lost, nothing counted twice),
/// every bad record dead-lettered and every late visit kept, without the processor stopping; each reports a line of the
/// fault matrix (docs/reliability.md). Every test has a cluster of its own.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class BrokerFaultsTests(ITestOutputHelper output)
{
    private const int Partitions = 6;

    [Fact]
    public async Task The_group_coordinator_and_partition_leader_down_for_10_s_then_every_leader_moved_processing_resumes_by_itself()
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 81, count: 14_000);
        // Broker 2 coordinates the group and leads a third of every topic's partitions: the case of a broker restart.
        // The embedded broker places leaders itself, once all six of a topic on one broker: placed here instead.
        var topics = new[] { faults.Run.Settings.InputTopic, faults.Run.Settings.DeadLetterTopic, faults.Run.Settings.LateTopic! }
            .Concat(faults.Run.Settings.Windows.Windows.Select(w => w.Topic)).ToList();
        foreach (var topic in topics)
        {
            for (var partition = 0; partition < Partitions; partition++)
                faults.Broker.SetPartitionLeader(topic, partition, partition % 3 + 1);
        }
        faults.Broker.SetGroupCoordinator(faults.Run.Settings.GroupId, 2);
        var producing = faults.ProduceAsync(perSecond: 400);
        // The default 10 s session: the outage outlasts it, so the group also loses and regains its members.
        var child = faults.Start([]);
        await Eventually.HoldsAsync(() => child.Running && faults.Run.Committed() >= 2_000, TimeSpan.FromSeconds(60), "processing under way");

        var plan = FaultPlan.Parse("at 0s: down 2 for 10s; " + string.Join("; ", topics.Select(t => $"at 12s: leader {t} * next")));
        await plan.RunAsync(faults.Broker, output.WriteLine, CancellationToken.None);
        Assert.True(faults.Broker.Leaders(faults.Run.Settings.InputTopic).Values.Distinct().Count() > 1);

        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => child.Running, TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        var printed = await StopAsync(faults, child);
        AssertExact(faults, partitionOf);
        output.WriteLine(printed);
        faults.Report(output, "coordinator and leader down 10 s, then every leader moved", catchUp);
    }

    [Fact]
    public async Task Bursts_of_retriable_errors_on_produce_commit_and_fetch_are_ridden_through()
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 82, count: 10_000);
        var producing = faults.ProduceAsync(perSecond: 500);
        var child = faults.Start([]);
        await Eventually.HoldsAsync(() => child.Running && faults.Run.Committed() >= 2_000, TimeSpan.FromSeconds(60), "processing under way");

        await FaultPlan.Parse("""
            at 0s: errors Produce NOT_ENOUGH_REPLICAS*5,REQUEST_TIMED_OUT*5
            at 2s: errors OffsetCommit REBALANCE_IN_PROGRESS,COORDINATOR_NOT_AVAILABLE*3,NOT_COORDINATOR*3,REQUEST_TIMED_OUT*2,UNKNOWN_TOPIC_OR_PART*3
            at 4s: errors Fetch REQUEST_TIMED_OUT*5,NOT_LEADER_FOR_PARTITION*3,UNKNOWN_TOPIC_OR_PART*2
            at 6s: errors Heartbeat COORDINATOR_NOT_AVAILABLE*3
            """).RunAsync(faults.Broker, output.WriteLine, CancellationToken.None);

        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => child.Running, TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        var summary = await StopAsync(faults, child);
        AssertExact(faults, partitionOf);
        Assert.Contains("commit refused", summary);
        faults.Report(output, "bursts of retriable errors: Produce, OffsetCommit, Fetch, Heartbeat", catchUp);
    }

    [Fact]
    public async Task An_error_no_retry_cures_stops_the_processor_with_a_clear_message_and_a_restart_loses_nothing()
    {
        // All input first: the processor's producer is then the only one the injected error can reach. Enough of it
        // that the processor is still producing when the error is injected, a few thousand records in.
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 83, count: 30_000);
        var partitionOf = await Task.Run(() => faults.Input.Produce(faults.Kafka.Client, faults.Run.Settings.InputTopic));
        var child = faults.Start([]);
        await Eventually.HoldsAsync(() => child.Running && faults.Run.Committed() >= 2_000, TimeSpan.FromSeconds(60), "processing under way");
        Assert.True(faults.Run.Lag() > 5_000, "the error is injected while the processor is still producing");

        faults.Broker.FailRequests(KafkaRequest.Produce, [Confluent.Kafka.ErrorCode.TopicAuthorizationFailed]);
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(60), "the processor stopped on the refused produce");
        Assert.Equal(1, child.ExitCode);
        Assert.Contains("Stopped on error: Producing to", await child.StandardError);
        Assert.Contains("Topic authorization failed", await child.StandardError);
        output.WriteLine("FIRST:\n" + await child.StandardError);

        // Nothing was committed past what was acknowledged: a restart counts every visit exactly.
        var second = faults.Start([]);
        await Eventually.HoldsAsync(() => second.Running && faults.Run.Lag() == 0, TimeSpan.FromSeconds(90), "the restarted processor caught up");
        output.WriteLine("SECOND:\n" + await StopAsync(faults, second));
        AssertExact(faults, partitionOf);
    }

    [Fact]
    public async Task A_broker_300_ms_slow_for_30_s_holds_memory_bounded_and_the_lag_recovers()
    {
        await using var faults = await FaultRun.CreateAsync(Partitions, seed: 84, count: 18_000);
        faults.Broker.SetGroupCoordinator(faults.Run.Settings.GroupId, 1);
        var producing = faults.ProduceAsync(perSecond: 450);
        var child = faults.Start([]);
        await Eventually.HoldsAsync(() => child.Running && faults.Run.Committed() >= 2_000, TimeSpan.FromSeconds(60), "processing under way");

        // Broker 1 coordinates the group and leads a third of the partitions: fetches, produces and commits all slow down.
        await FaultPlan.Parse("at 0s: rtt 1 300ms for 30s").RunAsync(faults.Broker, output.WriteLine, CancellationToken.None);

        var catchUp = await faults.CatchUpAsync(faults.InputEnd(), () => child.Running, TimeSpan.FromSeconds(90));
        var partitionOf = await producing;
        await StopAsync(faults, child);
        AssertExact(faults, partitionOf);
        // Bounded: the consumer's buffer, librdkafka's queues and the producer's in-flight limit, not the backlog.
        Assert.InRange(faults.PeakResidentBytes, 1, 1024L * 1024 * 1024);
        faults.Report(output, "one broker 300 ms slow for 30 s (coordinator and a third of the leaders)", catchUp);
    }

    /// <summary>SIGTERM: drains, commits and exits 0; returns what the child printed.</summary>
    internal static async Task<string> StopAsync(FaultRun faults, ChildProcessor child)
    {
        await Eventually.HoldsAsync(() => child.Running && faults.Run.Lag() == 0, TimeSpan.FromSeconds(90), () => $"caught up (lag {faults.Run.Lag()})");
        child.Signal("TERM");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
        var printed = await child.StandardError;
        Assert.True(child.ExitCode == 0, printed);
        return printed;
    }

    /// <summary>The exact recount, every bad record in the dead-letter topic and every late visit in the late topic, each once at least.</summary>
    internal static void AssertExact(FaultRun faults, Dictionary<string, int> partitionOf, FinalCounts.Pick pick = FinalCounts.Pick.LastRecord)
    {
        var run = faults.Run;
        FinalCounts.AssertEqualRecount(faults.Kafka, run, faults.Input, partitionOf, pick);
        var deadLetters = TestRecords.ReadAll(faults.Kafka.Client, run.Settings.DeadLetterTopic, TimeSpan.FromSeconds(60));
        Assert.Equal(faults.Input.Bad.Select(b => b.Index).Order(), deadLetters.Select(faults.Input.IndexAt).Distinct().Order());
        var late = TestRecords.ReadAll(faults.Kafka.Client, run.Settings.LateTopic!, TimeSpan.FromSeconds(60));
        Assert.Equal(faults.Input.Late.Order(), late.Select(faults.Input.IndexAt).Distinct().Order());
    }
}

/// <summary>Tests that fault brokers or processes of clusters of their own: one at a time, beside the shared-cluster tests.</summary>
[CollectionDefinition(Name)]
public sealed class FaultsCollection
{
    public const string Name = "faults";
}
