using System.Collections.Concurrent;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class RebalanceTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Two_members_split_the_partitions_a_revoked_offset_is_never_committed_and_the_survivor_takes_all()
    {
        var topic = await kafka.NewTopicAsync(6, "rebalance");
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 300, urls: 200);
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, group, Deserializers.Utf8, Deserializers.ByteArray);

        // Member A reads (without committing) until it has seen every partition.
        var seenByA = new ConcurrentQueue<CommittableMessage<string, byte[]>>();
        var a = KafkaConsumer.CommittableSource(settings, topic).ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(seenByA.Enqueue), Keep.Left).Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => seenByA.Select(m => m.Record.Partition.Value).Distinct().Count() == 6, TimeSpan.FromSeconds(30), "A read all 6 partitions");

        var b = KafkaConsumer.CommittableSource(settings, topic).ToMaterialized(Sink.Ignore<CommittableMessage<string, byte[]>>(), Keep.Left).Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => a.Assignment.Count > 0 && b.Assignment.Count > 0 && a.Assignment.Count + b.Assignment.Count == 6,
            TimeSpan.FromSeconds(60), "A and B share the partitions");
        Assert.Empty(a.Assignment.Intersect(b.Assignment));

        // An offset A read before the rebalance, of a partition now B's: committing it must not touch the group.
        var stale = seenByA.First(m => b.Assignment.Contains(m.Record.TopicPartition)).CommittableOffset;
        await stale.Committer.CommitAsync([stale]);
        Assert.True(a.Metrics.DiscardedAfterRevocation >= 1);
        var committed = await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None);
        Assert.Null(committed.Single(p => p.Partition == stale.TopicPartition.Partition.Value).Committed);

        var ownedByB = b.Assignment.ToList();
        await Eventually.CompletesAsync(b.ShutdownAsync(), TimeSpan.FromSeconds(30), "B leaves");
        await Eventually.HoldsAsync(() => a.Assignment.Count == 6, TimeSpan.FromSeconds(60), "A takes over all 6 partitions");
        // A's partitions that B owned meanwhile come back as not held by A just before: what A had produced for them
        // vouches for nothing (ProducedMarks).
        Assert.All(ownedByB, p => Assert.True(a.TryGetAssignment(p, out var back) && !back.HeldJustBefore, $"{p} came back as held just before"));
        await a.ShutdownAsync();
    }
}
