using System.Collections.Concurrent;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Embedded;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Faults;

/// <summary>
/// A producer flow under load while the leader of every partition of its topic is down: it stops pulling at its bound
/// of records in flight, and when librdkafka's own queue is smaller still (a client property), it waits for room
/// instead of failing with Local_QueueFull. Every record is acknowledged once the broker is back.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class ProducerStallTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Envelopes = 400;
    private const int RecordsPerEnvelope = 50;
    private const int MaxInFlightRecords = 2_000;
    private const int QueueBufferingMaxMessages = 1_000;

    [Fact]
    public async Task A_stalled_broker_makes_the_producer_flow_wait_at_its_bound_of_records_not_fail()
    {
        await using var kafka = EmbeddedKafka.Start(brokers: 3);
        const string topic = "stall";
        await kafka.EnsureTopicsAsync([new TopicSpec(topic, 1, 3)], CancellationToken.None);
        var leader = kafka.Leaders(topic)[0];
        var client = new ClientConfig { BootstrapServers = kafka.BootstrapServers };
        var settings = ProducerSettings<string, string>.Create(client, Serializers.Utf8, Serializers.Utf8) with { MaxInFlightRecords = MaxInFlightRecords };
        // librdkafka's own queue below the flow's bound: without waiting for room, the stall would end in Local_QueueFull.
        settings.Config.QueueBufferingMaxMessages = QueueBufferingMaxMessages;

        long pulled = 0, acknowledged = 0, mostInFlight = 0;
        var stored = new ConcurrentQueue<string>();
        kafka.SetBrokerDown(leader);
        var done = Source.From(Enumerable.Range(0, Envelopes))
            .Select(e =>
            {
                var inFlight = Interlocked.Add(ref pulled, RecordsPerEnvelope) - Interlocked.Read(ref acknowledged);
                InterlockedMax(ref mostInFlight, inFlight);
                var records = Enumerable.Range(0, RecordsPerEnvelope)
                    .Select(r => new ProducerRecord<string, string>(topic, new Message<string, string> { Key = $"{e}", Value = $"{e}-{r}" })).ToList();
                return ProducerEnvelope<string, string, int>.Multi(records, e);
            })
            .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
            .RunForeach(result =>
            {
                Interlocked.Add(ref acknowledged, result.Deliveries.Count);
                stored.Enqueue(result.PassThrough.ToString());
            }, Sys.Materializer());

        // The flow fills librdkafka's queue (the smaller bound here) and waits for room while the leader is away.
        await Eventually.HoldsAsync(() => Interlocked.Read(ref pulled) >= QueueBufferingMaxMessages, TimeSpan.FromSeconds(30), "the flow filled librdkafka's queue");
        var pulledWhileDown = Interlocked.Read(ref pulled);
        Assert.False(done.IsCompleted, "nothing can complete while the leader is down");
        kafka.SetBrokerUp(leader);

        await Eventually.CompletesAsync(done, TimeSpan.FromSeconds(120), "every envelope acknowledged once the leader is back");
        Assert.InRange(pulledWhileDown, QueueBufferingMaxMessages, MaxInFlightRecords + RecordsPerEnvelope);
        Assert.InRange(Interlocked.Read(ref mostInFlight), 1, MaxInFlightRecords + RecordsPerEnvelope);
        Assert.Equal(Envelopes * RecordsPerEnvelope, Interlocked.Read(ref acknowledged));
        var records = TestRecords.ReadAll(client, topic, TimeSpan.FromSeconds(60));
        Assert.Equal(Envelopes * RecordsPerEnvelope, records.Count);
        Assert.Equal(Envelopes * RecordsPerEnvelope, records.Select(r => TestRecords.Text(r.Message.Value)).Distinct().Count());
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) != seen)
            seen = Interlocked.Read(ref target);
    }
}
