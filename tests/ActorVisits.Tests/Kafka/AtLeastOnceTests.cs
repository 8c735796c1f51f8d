using ActorVisits.Entities;
using ActorVisits.Kafka.Admin;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class AtLeastOnceTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Stopping_with_an_uncommitted_tail_loses_nothing_and_restarts_at_the_committed_offsets()
    {
        var topic = await kafka.NewTopicAsync(3, "alo");
        var group = kafka.NewGroup();
        var visits = TestRecords.ProduceVisits(kafka.Client, topic, 600);

        // First run processes everything but commits only the first 300 records it processed: a 300-record uncommitted tail.
        var first = ConsumingRun.Start(Sys, kafka.Client, topic, group, commitThis: (index, _) => index < 300);
        await first.WaitForAsync(600);
        await first.StopAsync();
        var committedByFirst = ConsumingRun.NextOffsets(first.Processed.Take(300));

        var afterFirst = await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None);
        Assert.All(afterFirst, p => Assert.Equal(committedByFirst.GetValueOrDefault(p.Partition), p.Committed ?? 0));

        // The restart resumes exactly at the committed offsets: it re-reads the uncommitted tail and nothing before it.
        var second = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await second.WaitForAsync(300);
        await second.StopAsync();
        Assert.Equal(300, second.Processed.Count);
        Assert.All(second.Processed.GroupBy(r => r.Partition.Value), p =>
            Assert.Equal(committedByFirst.GetValueOrDefault(p.Key), p.Min(r => r.Offset.Value)));

        var committedOrReprocessed = first.Processed.Take(300).Concat(second.Processed).Select(r => Id(r.Message.Value));
        Assert.Equal(visits.Select(v => v.Id).Order(), committedOrReprocessed.Order());
        Assert.All(await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None), p => Assert.Equal(0, p.Lag));

        // Same group, rewound to the beginning of its partitions: everything is read again.
        await kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None);
        Assert.Equal(600, (await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None)).Sum(p => p.Lag));
        var replay = ConsumingRun.Start(Sys, kafka.Client, topic, group);
        await replay.WaitForAsync(600);
        await replay.StopAsync();
        Assert.Equal(visits.Select(v => v.Id).Order(), replay.Processed.Select(r => Id(r.Message.Value)).Order());
    }

    private static Guid Id(byte[] value) => VisitJson.TryParse(value, out var visit, out _) ? visit!.Id : Guid.Empty;
}
