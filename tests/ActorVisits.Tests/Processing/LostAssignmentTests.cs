using ActorVisits.Configuration;
using ActorVisits.Kafka.Embedded;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// The group drops the processor's consumer with its partitions (as after an expired session): the processor is not
/// ready until it has rejoined and rebuilt, then counts on as an uninterrupted run would. A cluster of its own: the
/// injected errors reach every client of a cluster.
/// </summary>
public sealed class LostAssignmentTests() : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference), IAsyncLifetime
{
    private readonly EmbeddedKafkaFixture _kafka = new();

    public Task InitializeAsync() => _kafka.InitializeAsync();

    public Task DisposeAsync() => _kafka.DisposeAsync();

    [Fact]
    public async Task Partitions_lost_to_the_group_make_the_processor_not_ready_until_it_rejoins_and_the_counts_stay_exact()
    {
        var run = await ProcessorRun.CreateAsync(_kafka, partitions: 3);
        var input = InputStream.Generate(seed: 91, count: 4_000, urls: 30);
        var rejoined = new TaskCompletionSource();
        var producing = Task.Run(() => input.Produce(_kafka.Client, run.Settings.InputTopic, holdAt: (2_000, rejoined.Task)));
        var processor = run.Start(Sys);
        await Eventually.HoldsAsync(() => processor.NotReadyBecause() is null && run.Committed() >= 2_000, TimeSpan.FromSeconds(60),
            () => $"ready with the first half committed ({processor.NotReadyBecause() ?? "ready"}, committed {run.Committed()})");

        // The coordinator forgets the member at its next heartbeat, so librdkafka takes its partitions away as lost; its
        // first attempts to join again are refused, so that the gap before the new assignment can be seen.
        _kafka.Broker.FailRequests(KafkaRequest.JoinGroup, [ErrorCode.GroupLoadInProgress, ErrorCode.GroupLoadInProgress, ErrorCode.GroupLoadInProgress]);
        _kafka.Broker.FailRequests(KafkaRequest.Heartbeat, [ErrorCode.UnknownMemberId]);
        string? reason = null;
        await Eventually.HoldsAsync(() => (reason = processor.NotReadyBecause()) is { } r && r.Contains("lost its partitions", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), () => $"not ready as a member that lost its partitions (last: {reason ?? "ready"})");
        Assert.Equal(1, processor.Control.Metrics.LostAssignments);

        await Eventually.HoldsAsync(() => processor.NotReadyBecause() is null, TimeSpan.FromSeconds(60),
            () => $"ready again after rejoining ({processor.NotReadyBecause()})");
        Assert.True(processor.Control.Metrics.InGroup);
        rejoined.SetResult();
        var partitionOf = await producing;
        await run.CaughtUpAsync(processor, TimeSpan.FromSeconds(60));
        await run.StopAsync(processor);

        FinalCounts.AssertEqualRecount(_kafka, run, input, partitionOf);
    }
}
