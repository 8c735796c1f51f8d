using ActorVisits.Configuration;
using ActorVisits.Processing;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// A rebuild whose records stay unreadable for longer than <c>outage-tolerance</c> fails the stream with its own error,
/// naming the partition (for a restart), instead of leaving the partition rebuilding without a word; a restart once the
/// brokers are back rebuilds it and loses nothing. Its own cluster: a broker goes down.
/// </summary>
public sealed class RebuildFailureTests() : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference)
{
    [Fact]
    public async Task A_rebuild_whose_partition_leader_stays_down_past_outage_tolerance_fails_the_stream_naming_the_partition_and_a_restart_recounts_exactly()
    {
        var kafka = EmbeddedKafkaFixture.Advertising(null);
        await kafka.InitializeAsync();
        try
        {
            var run = await ProcessorRun.CreateAsync(kafka, partitions: 1);
            var input = InputStream.Generate(seed: 94, count: 1_500, urls: 20);
            const int restartAt = 1_000;
            var released = new TaskCompletionSource();
            var producing = Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, holdAt: (restartAt, released.Task)));

            var first = run.Start(Sys);
            await Eventually.HoldsAsync(() => run.Committed() >= restartAt, TimeSpan.FromSeconds(60), () => $"the first {restartAt} records committed (got {run.Committed()})");
            await run.StopAsync(first);

            // The group's coordinator stays up; the only copy the rebuild may read from (the leader) goes down.
            kafka.Broker.SetGroupCoordinator(run.Settings.GroupId, 1);
            kafka.Broker.SetPartitionLeader(run.Settings.InputTopic, 0, 3);
            kafka.Broker.SetBrokerDown(3);
            var impatient = VisitProcessor.Start(Sys, run.KafkaSettings with { OutageTolerance = TimeSpan.FromSeconds(3) }, run.Settings);
            await Assert.ThrowsAnyAsync<Exception>(() => Eventually.CompletesAsync(impatient.Completion, TimeSpan.FromSeconds(90), "the stream fails"));
            var error = Assert.IsType<RebuildFailedException>(impatient.Error);
            Assert.Equal(run.Settings.InputTopic, error.Partition.Topic);
            Assert.Contains($"Rebuilding the windows of {run.Settings.InputTopic}[0] failed", error.Message);
            await Eventually.CompletesAsync(impatient.AbortAsync(), TimeSpan.FromSeconds(30), "the failed processor's consumer closes");

            kafka.Broker.SetBrokerUp(3);
            // The failed processor committed nothing past where the first one stopped (its lag needs the leader back).
            Assert.Equal(restartAt, run.Committed());
            released.SetResult();
            var partitionOf = await producing;
            var restarted = run.Start(Sys);
            await run.CaughtUpAsync(restarted, TimeSpan.FromSeconds(90));
            await run.StopAsync(restarted);

            Assert.True(restarted.Metrics.Replayed > 0, "the restart rebuilt the windows by replay");
            FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);
        }
        finally
        {
            await kafka.DisposeAsync();
        }
    }
}
