using ActorVisits.Kafka.Admin;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Kafka;

/// <summary>The workshop's four offset questions, answered by observation (docs/offsets.md cites each test).</summary>
[Collection(KafkaCollection.Name)]
public sealed class WorkshopOffsetsTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Q1_without_any_commit_every_run_reads_everything_again()
    {
        var topic = await kafka.NewTopicAsync(2, "q1");
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 200);

        for (var run = 0; run < 2; run++)
        {
            var consuming = ConsumingRun.Start(Sys, kafka.Client, topic, group, commitThis: (_, _) => false);
            await consuming.WaitForAsync(200);
            await consuming.StopAsync();
            Assert.Equal(0, consuming.Processed.Min(r => r.Offset.Value));
            Assert.All(await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None), p => Assert.Null(p.Committed));
        }
    }

    [Fact]
    public async Task Q2_committing_after_each_message_makes_the_next_run_start_after_the_last_commit()
    {
        var topic = await kafka.NewTopicAsync(2, "q2");
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 200);

        var first = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await first.WaitForAsync(200);
        await first.StopAsync();
        var ends = ConsumingRun.NextOffsets(first.Processed);
        Assert.All(await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None), p => Assert.Equal(0, p.Lag));

        TestRecords.ProduceVisits(kafka.Client, topic, 50, seed: 2);
        var second = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await second.WaitForAsync(50);
        await second.StopAsync();
        Assert.Equal(50, second.Processed.Count);
        Assert.All(second.Processed.GroupBy(r => r.Partition.Value), p => Assert.Equal(ends.GetValueOrDefault(p.Key), p.Min(r => r.Offset.Value)));
    }

    [Fact]
    public async Task Q3_each_group_id_has_its_own_offsets()
    {
        var topic = await kafka.NewTopicAsync(2, "q3");
        var groupA = kafka.NewGroup("a");
        var groupB = kafka.NewGroup("b");
        TestRecords.ProduceVisits(kafka.Client, topic, 200);

        var a = ConsumingRun.Start(Sys, kafka.Client, topic, groupA);
        await a.WaitForAsync(200);
        await a.StopAsync();

        // A new group starts from the beginning (auto.offset.reset=earliest); the first group's commits do not move.
        var b = ConsumingRun.Start(Sys, kafka.Client, topic, groupB, commitThis: (index, _) => index < 100);
        await b.WaitForAsync(200);
        await b.StopAsync();
        Assert.Equal(0, b.Processed.Min(r => r.Offset.Value));
        Assert.Equal(0, (await kafka.Broker.DescribeGroupOffsetsAsync(groupA, topic, CancellationToken.None)).Sum(p => p.Lag));
        Assert.Equal(100, (await kafka.Broker.DescribeGroupOffsetsAsync(groupB, topic, CancellationToken.None)).Sum(p => p.Lag));
    }

    [Fact]
    public async Task Q4_the_same_group_id_rewound_to_earliest_reads_its_partitions_from_the_beginning()
    {
        var topic = await kafka.NewTopicAsync(2, "q4");
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 200);
        var first = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await first.WaitForAsync(200);
        await first.StopAsync();

        var moved = await kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None);

        Assert.All(moved, o => Assert.Equal(0, o.Offset.Value));
        var again = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await again.WaitForAsync(200);
        await again.StopAsync();
        Assert.Equal(first.Processed.Select(r => (r.Partition.Value, r.Offset.Value)).Order(), again.Processed.Select(r => (r.Partition.Value, r.Offset.Value)).Order());
    }
}
