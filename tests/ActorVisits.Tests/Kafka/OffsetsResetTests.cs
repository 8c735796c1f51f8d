using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class OffsetsResetTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Reset_is_refused_while_the_group_has_a_live_member_and_allowed_once_it_left()
    {
        var (topic, group, _, member) = await MemberOwningBothPartitionsAsync("refuse");
        await Eventually.HoldsAsync(() => member.Metrics.Committed >= 1, TimeSpan.FromSeconds(30), "the member committed");

        // Each step has a deadline: a step that never ends fails naming itself.
        var refusal = await Assert.ThrowsAsync<ActiveMembersException>(() => Eventually.CompletesAsync(
            kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None), TimeSpan.FromSeconds(120), "the refused reset"));
        Assert.Contains(group, refusal.Message);

        await Eventually.CompletesAsync(member.ShutdownAsync(), TimeSpan.FromSeconds(60), "the member left its group and closed");
        var moved = await Eventually.CompletesAsync(
            kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None), TimeSpan.FromSeconds(120), "the reset of the empty group");
        Assert.All(moved, o => Assert.Equal(0, o.Offset.Value));
        Assert.Equal(20, (await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None)).Sum(p => p.Lag));
    }

    [Fact]
    public async Task A_consumer_that_rewinds_its_group_fails_naming_the_group_when_another_member_holds_partitions()
    {
        var (topic, group, settings, member) = await MemberOwningBothPartitionsAsync("rewindlive");

        // The refusal is thrown by the partitions-assigned handler, inside librdkafka's poll: it must end the stream,
        // not leave the rewinding consumer in the group without partitions.
        var (rewinding, done) = KafkaConsumer.CommittableSource(settings with { FromBeginning = true }, topic)
            .Select(m => m.CommittableOffset).ToMaterialized(Committer.Sink(new CommitterSettings { MaxBatch = 1 }), Keep.Both).Run(Sys.Materializer());
        var refusal = await Assert.ThrowsAsync<ActiveMembersException>(() => Eventually.CompletesAsync(done, TimeSpan.FromSeconds(60), "the rewinding consumer's stream ended"));
        Assert.Contains(group, refusal.Message);
        Assert.Empty(rewinding.Assignment);
        Assert.Same(refusal, await Assert.ThrowsAsync<ActiveMembersException>(() => Eventually.CompletesAsync(rewinding.ShutdownAsync(), TimeSpan.FromSeconds(60), "the rewinding consumer closed")));
        await Eventually.CompletesAsync(member.ShutdownAsync(), TimeSpan.FromSeconds(60), "the member left its group and closed");
    }

    [Fact]
    public async Task A_record_stamped_before_the_partitions_first_one_never_moves_a_search_by_time_past_the_records_it_wants()
    {
        var topic = await kafka.NewTopicAsync(1, "outlier");
        var start = new DateTimeOffset(2019, 3, 2, 9, 0, 0, TimeSpan.Zero);
        using (var producer = new ProducerBuilder<string, string>(ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8).Config).Build())
        {
            // Record 50, where a binary search over 0..100 looks first, is stamped 1970 (a producer may stamp anything).
            for (var i = 0; i < 100; i++)
                producer.Produce(topic, new Message<string, string> { Key = "k", Value = $"{i}", Timestamp = new Timestamp(i == 50 ? DateTimeOffset.UnixEpoch.AddMilliseconds(1) : start.AddSeconds(i)) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(new Dictionary<string, string>(kafka.Client)) { GroupId = kafka.NewGroup(), EnableAutoCommit = false }).Build();

        // Records 40 to 49 are at or after the time; a search sent right of record 50 would start at 51 and miss them.
        var found = PartitionHistory.FirstOffsetAtOrAfter(consumer, new TopicPartition(topic, 0), start.AddSeconds(40), TimeSpan.FromSeconds(10));

        Assert.InRange(found, 0, 40);
    }

    [Fact]
    public async Task Reset_to_a_time_moves_to_the_first_record_at_or_after_it()
    {
        var topic = await kafka.NewTopicAsync(1, "attime");
        var group = kafka.NewGroup();
        var start = new DateTimeOffset(2019, 3, 2, 9, 0, 0, TimeSpan.Zero);
        using (var producer = new ProducerBuilder<string, string>(ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8).Config).Build())
        {
            for (var i = 0; i < 100; i++)
                producer.Produce(topic, new Message<string, string> { Key = "k", Value = $"{i}", Timestamp = new Timestamp(start.AddSeconds(i)) });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        // One reset commits (each joins the group on the embedded broker, seconds each); the other targets resolve the
        // same way without committing.
        var atTime = await kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.AtTime(start.AddSeconds(40.5)), null, CancellationToken.None);
        Assert.Equal(41, Assert.Single(atTime).Offset.Value);
        Assert.Equal(41, Assert.Single(await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None)).Committed);
        long Planned(OffsetTarget target) =>
            Assert.Single(kafka.Broker.ResolveOffsetsAsync(group, topic, target, null, CancellationToken.None).GetAwaiter().GetResult()).Offset.Value;
        Assert.Equal(7, Planned(new OffsetTarget.AtTime(start.AddSeconds(7))));
        Assert.Equal(0, Planned(new OffsetTarget.AtTime(start.AddHours(-1))));
        Assert.Equal(100, Planned(new OffsetTarget.AtTime(start.AddHours(1))));
        Assert.Equal(100, Planned(new OffsetTarget.Latest()));
    }

    [Fact]
    public async Task A_reset_joining_a_group_whose_members_leave_it_no_partition_is_refused_at_once_and_a_dry_run_changes_nothing()
    {
        var topic = await kafka.NewTopicAsync(1, "no-share");
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 20);
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, group, Deserializers.Utf8, Deserializers.ByteArray);
        var member = KafkaConsumer.CommittableSource(settings, topic)
            .Select(m => m.CommittableOffset).ToMaterialized(Committer.Sink(new CommitterSettings { MaxBatch = 1 }), Keep.Left).Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None).GetAwaiter().GetResult().Single().Committed == 20,
            TimeSpan.FromSeconds(30), "the member owns the partition and committed it all");

        var planned = await kafka.Broker.ResolveOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None);
        Assert.Equal(0, Assert.Single(planned).Offset.Value);
        Assert.Equal(20, Assert.Single(await kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None)).Committed);

        // The joining resetter is given nothing (a cooperative group keeps the only partition where it is): that is the
        // refusal, well before the 60 s join time-out it used to wait out.
        var refusal = await Assert.ThrowsAsync<ActiveMembersException>(() => Eventually.CompletesAsync(
            kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), null, CancellationToken.None), TimeSpan.FromSeconds(45), "the refused reset"));
        Assert.Contains("0 of 1", refusal.Message);
        await Eventually.CompletesAsync(member.ShutdownAsync(), TimeSpan.FromSeconds(60), "the member left its group and closed");
    }

    [Fact]
    public async Task Reset_to_an_offset_by_a_shift_or_a_duration_moves_only_the_partitions_chosen_and_stays_within_each_log()
    {
        var topic = await kafka.NewTopicAsync(2, "forms");
        var group = kafka.NewGroup();
        var now = DateTimeOffset.UtcNow;
        using (var producer = new ProducerBuilder<string, string>(ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8).Config).Build())
        {
            // 60 records per partition, one a minute, the last one about now.
            for (var i = 0; i < 60; i++)
            {
                foreach (var partition in new[] { 0, 1 })
                    producer.Produce(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = $"{i}", Timestamp = new Timestamp(now.AddMinutes(i - 59)) });
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        IReadOnlyList<long?> Committed() => kafka.Broker.DescribeGroupOffsetsAsync(group, topic, CancellationToken.None).GetAwaiter().GetResult().Select(p => p.Committed).ToList();

        // No committed offset yet: nothing to shift from, and nothing changes.
        var noBase = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.ShiftBy(-5), null, CancellationToken.None));
        Assert.Contains("no committed offset", noBase.Message);

        // Each reset joins the group on the embedded broker (seconds each): two, and the rest as dry runs.
        await kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.ToOffset(30), null, CancellationToken.None);
        Assert.Equal([30L, 30L], Committed());
        await kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.ShiftBy(-10), [1], CancellationToken.None);
        Assert.Equal([30L, 20L], Committed());
        IReadOnlyList<long> Planned(OffsetTarget target, IReadOnlyCollection<int>? partitions = null) =>
            kafka.Broker.ResolveOffsetsAsync(group, topic, target, partitions, CancellationToken.None).GetAwaiter().GetResult().Select(o => o.Offset.Value).ToList();
        // Past either end of the log: its start or end, as Kafka's tool does.
        Assert.Equal([60L, 60L], Planned(new OffsetTarget.ShiftBy(+1_000)));
        Assert.Equal([0L], Planned(new OffsetTarget.ShiftBy(-1_000), [1]));
        Assert.Equal([60L], Planned(new OffsetTarget.ToOffset(1_000_000), [0]));
        // The last 10 minutes and a half: the records of minutes -10 to 0, offsets 49 to 59.
        Assert.Equal([49L, 49L], Planned(new OffsetTarget.Ago(TimeSpan.FromMinutes(10.5))));
        Assert.Equal([30L, 20L], Committed());

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            kafka.Broker.ResetGroupOffsetsAsync(group, topic, new OffsetTarget.Earliest(), [1, 7], CancellationToken.None));
        Assert.Contains("no partition 7", missing.Message);
        Assert.Equal([30L, 20L], Committed());
    }

    /// <summary>A 2-partition topic of 20 visits and a group whose one member owns both partitions, committing each record.</summary>
    private async Task<(string Topic, string Group, ConsumerSettings<string, byte[]> Settings, IConsumerControl Member)> MemberOwningBothPartitionsAsync(string purpose)
    {
        var topic = await kafka.NewTopicAsync(2, purpose);
        var group = kafka.NewGroup();
        TestRecords.ProduceVisits(kafka.Client, topic, 20);
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, group, Deserializers.Utf8, Deserializers.ByteArray);
        var member = KafkaConsumer.CommittableSource(settings, topic)
            .Select(m => m.CommittableOffset).ToMaterialized(Committer.Sink(new CommitterSettings { MaxBatch = 1 }), Keep.Left).Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => member.Assignment.Count == 2, TimeSpan.FromSeconds(30), "the member owns both partitions");
        return (topic, group, settings, member);
    }
}
