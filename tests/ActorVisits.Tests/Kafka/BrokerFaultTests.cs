using ActorVisits.Kafka.Embedded;
using System.Collections.Concurrent;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>Its own cluster: taking a broker down must not disturb the other tests.</summary>
public sealed class BrokerFaultTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Total = 4000;

    [Fact]
    public async Task Commits_refused_past_commit_retry_for_fail_the_stream_even_when_the_input_has_gone_idle()
    {
        await using var cluster = EmbeddedKafka.Start(brokers: 1);
        const string topic = "idle-commits";
        await cluster.EnsureTopicsAsync([new TopicSpec(topic, 1, 1)], CancellationToken.None);
        var client = new ClientConfig { BootstrapServers = cluster.BootstrapServers };
        TestRecords.ProduceVisits(client, topic, 10);
        // Every commit is refused for a retriable reason, for far longer than the stream is willing to wait.
        cluster.FailRequests(KafkaRequest.OffsetCommit, Enumerable.Repeat(ErrorCode.GroupCoordinatorNotAvailable, 20_000).ToList());
        var settings = ConsumerSettings<string, byte[]>.Create(client, $"idle-{Guid.NewGuid():N}", Deserializers.Utf8, Deserializers.ByteArray) with
        {
            CommitRetryFor = TimeSpan.FromSeconds(3),
        };

        // Ten records, then nothing: no new commit request comes after the first refusals, only the worker's retries.
        // Each attempt can block while librdkafka waits for a coordinator, so the failure takes several attempts' time:
        // 12 to 31 s alone, more than 30 s once under a full CI run.
        var done = KafkaConsumer.CommittableSource(settings, topic).Select(m => m.CommittableOffset)
            .RunWith(Committer.Sink(new CommitterSettings { MaxBatch = 1 }), Sys.Materializer());

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Eventually.CompletesAsync(done, TimeSpan.FromSeconds(90), "the stream fails"));
        Assert.Contains("longer than commit-retry-for", failure.ToString());
    }

    [Fact]
    public async Task A_broker_down_during_acks_all_produce_leaves_every_acknowledged_record_exactly_once()
    {
        await using var cluster = EmbeddedKafka.Start(brokers: 3);
        const string topic = "fault";
        await cluster.EnsureTopicsAsync([new TopicSpec(topic, 3, 3)], CancellationToken.None);
        var client = new ClientConfig { BootstrapServers = cluster.BootstrapServers };
        var settings = ProducerSettings<string, string>.Create(client, Serializers.Utf8, Serializers.Utf8);

        long sent = 0;
        var acknowledged = new ConcurrentQueue<string>();
        var done = Source.From(Enumerable.Range(0, Total))
            .Throttle(1000, TimeSpan.FromSeconds(1), 100, ThrottleMode.Shaping)
            .Select(i =>
            {
                Interlocked.Increment(ref sent);
                var id = $"record-{i}";
                return ProducerEnvelope<string, string, string>.Single(new ProducerRecord<string, string>(topic, new Message<string, string> { Key = id, Value = id }), id);
            })
            .Via(KafkaProducer.FlexiFlow<string, string, string>(settings))
            .RunForeach(result => acknowledged.Enqueue(result.PassThrough), Sys.Materializer());

        await Eventually.HoldsAsync(() => acknowledged.Count >= 500, TimeSpan.FromSeconds(30), "500 acknowledged before the fault");
        // The mock places partition leaders as it likes: take down the leader of partition 0, so the fault really bites.
        var leader = LeaderOfPartitionZero(client, topic);
        cluster.SetBrokerDown(leader);
        var sentAtFault = Interlocked.Read(ref sent);
        long mostPending = 0;
        // The broker stays down while the generator sends 1,500 more records (about 1.5 s at this pace).
        await Eventually.HoldsAsync(() =>
        {
            mostPending = Math.Max(mostPending, Interlocked.Read(ref sent) - acknowledged.Count);
            return Interlocked.Read(ref sent) >= sentAtFault + 1500;
        }, TimeSpan.FromSeconds(30), "records sent while the broker is down");
        cluster.SetBrokerUp(leader);

        await Eventually.CompletesAsync(done, TimeSpan.FromSeconds(120), "every record acknowledged after the broker came back");

        Assert.True(mostPending > 300, $"the fault must hold back acknowledgements (at most {mostPending} were pending)");
        Assert.Equal(Total, acknowledged.Count);
        var stored = TestRecords.ReadAll(client, topic, TimeSpan.FromSeconds(30)).Select(r => r.Message.Key).ToList();
        Assert.Equal(Total, stored.Count);
        Assert.Equal(acknowledged.Order(), stored.Order());
    }

    private static int LeaderOfPartitionZero(ClientConfig client, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>(client))).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single(p => p.PartitionId == 0).Leader;
    }
}
