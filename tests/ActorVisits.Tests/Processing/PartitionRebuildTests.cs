using ActorVisits.Configuration;
using ActorVisits.Processing;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// A replay ends as soon as the consumer says its partition was revoked, even while the stream's stage (which would
/// cancel it) waits for that very replay: the partition actor is told the rebuild was abandoned, and so answers what it
/// kept (and what comes until the stream stops it) with nothing.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class PartitionRebuildTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference)
{
    [Fact]
    public async Task A_replay_whose_partition_the_consumer_says_is_revoked_stops_and_tells_its_actor_it_was_abandoned_instead_of_finishing()
    {
        var (rebuild, partition, end) = await FilledPartitionAsync("revoked");
        var actor = CreateTestProbe();
        var revoked = false;

        var replay = rebuild.StartAsync(partition, end, actor.Ref, () => Volatile.Read(ref revoked), CancellationToken.None);
        // The first batch arrives: the partition is revoked now (the consumer knows; the stage has not looked yet).
        actor.ExpectMsg<ReplayVisits>(TimeSpan.FromSeconds(30));
        Volatile.Write(ref revoked, true);
        actor.Reply(Updated.Nothing);
        var batches = 1;
        var stopped = false;
        while (!stopped)
        {
            switch (actor.ReceiveOne(TimeSpan.FromSeconds(30)))
            {
                case ReplayVisits:
                    // Batches already on their way when it was revoked (at most a few in flight).
                    batches++;
                    actor.Reply(Updated.Nothing);
                    break;
                case RebuildAbandoned:
                    stopped = true;
                    break;
                case var other:
                    Assert.Fail($"expected replayed batches then RebuildAbandoned, got {other?.GetType().Name ?? "nothing within 30 s"}");
                    break;
            }
        }
        await Eventually.CompletesAsync(replay, TimeSpan.FromSeconds(30), "the replay ended quietly");
        Assert.InRange(batches, 1, 6);
        actor.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // in particular, no ReplayDone
    }

    [Fact]
    public async Task A_replay_whose_partition_stays_assigned_sends_every_batch_then_replay_done()
    {
        var (rebuild, partition, end) = await FilledPartitionAsync("kept");
        var actor = CreateTestProbe();

        var replay = rebuild.StartAsync(partition, end, actor.Ref, () => false, CancellationToken.None);
        var visits = 0;
        while (actor.ReceiveOne(TimeSpan.FromSeconds(30)) is ReplayVisits batch)
        {
            visits += batch.Visits.Count;
            actor.Reply(Updated.Nothing);
        }
        Assert.IsType<ReplayDone>(actor.LastMessage);
        await Eventually.CompletesAsync(replay, TimeSpan.FromSeconds(30), "the replay completed");
        // Stamped 60 ms apart: the last 6 minutes (longest window and margin) hold some 6,000 of them, in 12 batches or more.
        Assert.True(visits > 5_000, $"replayed {visits} visits");
    }

    /// <summary>A rebuild of partition 0 of a topic of 10,000 visits stamped 60 ms apart, and the partition's end offset.</summary>
    private async Task<(PartitionRebuild Rebuild, TopicPartition Partition, long End)> FilledPartitionAsync(string purpose)
    {
        var topic = await kafka.NewTopicAsync(1, purpose);
        var input = InputStream.Generate(seed: 97, count: 10_000, urls: 50);
        await Task.Run(() => input.Produce(kafka.Client, topic));
        var kafkaSettings = KafkaSettings.FromConfig(HostConfig.Reference) with { BootstrapServers = kafka.Broker.BootstrapServers };
        var settings = ProcessorSettings.FromConfig(HostConfig.Reference) with { InputTopic = topic, GroupId = kafka.NewGroup("rebuild") };
        return (new PartitionRebuild(kafkaSettings, settings, new ProcessorMetrics()), new TopicPartition(topic, 0), input.Records.Count);
    }
}
