using System.Text;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Embedded;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>
/// The producer flow drives librdkafka through its C API (NativeProducer): what it hands over (key, value, timestamp,
/// headers) is what the brokers store, its delivery results are the brokers' own, a refused record or property fails
/// it with the topic or the property named.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class ProducerFlowTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Timestamp Created = new(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero).AddMilliseconds(305));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task What_the_flow_produces_is_stored_as_handed_over_and_its_delivery_results_are_the_brokers(bool keepDeliveryResults)
    {
        var topic = await kafka.NewTopicAsync(3, "handed-over");
        var settings = ProducerSettings<byte[], byte[]>.Create(kafka.Client, Serializers.ByteArray, Serializers.ByteArray) with { KeepDeliveryResults = keepDeliveryResults };
        var headers = new Headers { { "actorvisits.error", Encoding.UTF8.GetBytes("not JSON: é") }, { "empty", [] }, { "null", null } };
        List<ProducerRecord<byte[], byte[]>> records =
        [
            new(topic, Encoding.UTF8.GetBytes("/store/tech/tv"), Encoding.UTF8.GetBytes("{\"count\":1}"), Created, headers),
            new(topic, null!, Encoding.UTF8.GetBytes("no key")),
            new(topic, Encoding.UTF8.GetBytes("tombstone"), null!, Created),
            new(topic, [], []),
        ];

        var results = await Source.Single(ProducerEnvelope<byte[], byte[], string>.Multi(records, "pass-through"))
            .Via(KafkaProducer.FlexiFlow<byte[], byte[], string>(settings))
            .RunWith(Sink.Seq<ProducerResults<byte[], byte[], string>>(), Sys.Materializer());

        var stored = TestRecords.ReadAllRaw(kafka.Client, topic, TimeSpan.FromSeconds(30));
        Assert.Equal("pass-through", Assert.Single(results).PassThrough);
        Assert.Equal(records.Count, stored.Count);
        foreach (var record in records)
        {
            var match = Assert.Single(stored, s => Same(s.Message.Key, record.Key) && Same(s.Message.Value, record.Value));
            if (record.Timestamp.Type != TimestampType.NotAvailable)
                Assert.Equal(record.Timestamp.UnixTimestampMs, match.Message.Timestamp.UnixTimestampMs);
            var expectedHeaders = record.Headers ?? [];
            Assert.Equal(expectedHeaders.Select(h => (h.Key, Text(h.GetValueBytes()))), match.Message.Headers.Select(h => (h.Key, Text(h.GetValueBytes()))));
        }
        if (!keepDeliveryResults)
        {
            Assert.Empty(results[0].Deliveries);
            return;
        }
        var deliveries = results[0].Deliveries;
        Assert.Equal(records.Count, deliveries.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var delivery = deliveries[i];
            var match = stored.Single(s => s.TopicPartitionOffset == delivery.TopicPartitionOffset);
            Assert.True(Same(match.Message.Value, records[i].Value), $"delivery {i} names the offset its record was stored at");
            Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
            Assert.Same(records[i].Value, delivery.Message.Value);
            // Not compared: the delivery's timestamp is the broker's answer, and the mock answers every produce with a log-append time of its own (1234).
        }
    }

    [Fact]
    public async Task A_record_the_brokers_refuse_fails_the_flow_naming_its_topic_and_the_brokers_error()
    {
        var topic = await kafka.NewTopicAsync(1, "refused");
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8);
        // Not retriable: librdkafka reports the record failed instead of trying again.
        kafka.Broker.FailRequests(KafkaRequest.Produce, [ErrorCode.TopicAuthorizationFailed]);

        var done = ProduceOne(settings, topic);

        var failure = await Assert.ThrowsAsync<KafkaProduceFailedException>(() => done.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, failure.Error.Code);
        Assert.Contains($"'{topic}'", failure.Message);
    }

    [Fact]
    public async Task Envelopes_without_records_count_towards_the_in_flight_bound_behind_one_waiting_for_its_leader()
    {
        var waiting = await kafka.NewTopicAsync(1, "waiting-head");
        kafka.Broker.SetPartitionLeader(waiting, 0, 1);
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8) with { MaxInFlightRecords = 10 };
        settings.Config.MessageTimeoutMs = 120_000;
        kafka.Broker.SetBrokerDown(1);
        try
        {
            var pulled = 0;
            // The head's record waits for its leader; behind it, envelopes with nothing to produce (their records were
            // produced before, or fenced) each hold an input record: they must not be pulled without bound.
            var envelopes = Enumerable.Range(0, 10_000).Select(i =>
            {
                Interlocked.Increment(ref pulled);
                return i == 0
                    ? ProducerEnvelope<string, string, int>.Single(new ProducerRecord<string, string>(waiting, "key", "head"), i)
                    : ProducerEnvelope<string, string, int>.Multi([], i);
            });
            var (kill, done) = Source.From(envelopes)
                .ViaMaterialized(KillSwitches.Single<ProducerEnvelope<string, string, int>>(), Keep.Right)
                .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
                .ToMaterialized(Sink.Ignore<ProducerResults<string, string, int>>(), Keep.Both)
                .Run(Sys.Materializer());

            await Eventually.HoldsAsync(() => Volatile.Read(ref pulled) >= 10, TimeSpan.FromSeconds(30), "the flow took in its bound's worth");
            await Assert.ThrowsAsync<TimeoutException>(() => Eventually.HoldsAsync(() => Volatile.Read(ref pulled) > 20, TimeSpan.FromSeconds(2), "more pulled"));
            kill.Abort(new OperationCanceledException("test over"));
            await Assert.ThrowsAnyAsync<Exception>(() => done.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            kafka.Broker.SetBrokerUp(1);
        }
    }

    [Fact]
    public async Task A_record_the_brokers_refuse_fails_the_flow_at_once_even_behind_one_still_waiting_for_its_leader()
    {
        var waiting = await kafka.NewTopicAsync(1, "waiting");
        var refused = await kafka.NewTopicAsync(1, "refused-behind");
        kafka.Broker.SetPartitionLeader(waiting, 0, 1);
        kafka.Broker.SetPartitionLeader(refused, 0, 2);
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8);
        // The first record would be retried for two minutes; the flow must not wait that long to report the second.
        settings.Config.MessageTimeoutMs = 120_000;
        kafka.Broker.SetBrokerDown(1);
        try
        {
            // Broker 1 is down, so the refusal goes to broker 2's produce request, the second record's.
            kafka.Broker.FailRequests(KafkaRequest.Produce, [ErrorCode.TopicAuthorizationFailed]);
            var done = Source.From([
                    ProducerEnvelope<string, string, int>.Single(new ProducerRecord<string, string>(waiting, "key", "first"), 1),
                    ProducerEnvelope<string, string, int>.Single(new ProducerRecord<string, string>(refused, "key", "second"), 2),
                ])
                .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
                .RunWith(Sink.Ignore<ProducerResults<string, string, int>>(), Sys.Materializer());

            var failure = await Assert.ThrowsAsync<KafkaProduceFailedException>(() => done.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(ErrorCode.TopicAuthorizationFailed, failure.Error.Code);
            Assert.Contains($"'{refused}'", failure.Message);
        }
        finally
        {
            kafka.Broker.SetBrokerUp(1);
        }
    }

    [Fact]
    public async Task A_fatal_idempotence_error_fails_the_flow_instead_of_leaving_it_waiting()
    {
        var topic = await kafka.NewTopicAsync(1, "fatal");
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8);
        // The brokers claim a sequence gap: an idempotent producer can no longer guarantee order and stops for good.
        kafka.Broker.FailRequests(KafkaRequest.Produce, [ErrorCode.OutOfOrderSequenceNumber]);

        var done = ProduceOne(settings, topic);

        var failure = await Assert.ThrowsAsync<KafkaProduceFailedException>(() => done.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, failure.Error.Code);
        Assert.Contains($"'{topic}'", failure.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_serializer_that_throws_fails_the_flow_naming_the_part_it_could_not_write(bool keyFails)
    {
        var topic = await kafka.NewTopicAsync(1, "unserializable");
        var settings = ProducerSettings<string, string>.Create(kafka.Client,
            keyFails ? new Throwing() : Serializers.Utf8, keyFails ? Serializers.Utf8 : new Throwing());

        var done = ProduceOne(settings, topic);

        var failure = await Assert.ThrowsAsync<KafkaProduceFailedException>(() => done.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(keyFails ? ErrorCode.Local_KeySerialization : ErrorCode.Local_ValueSerialization, failure.Error.Code);
        Assert.IsType<FormatException>(failure.InnerException);
        Assert.Empty(TestRecords.ReadAllRaw(kafka.Client, topic, TimeSpan.FromSeconds(30)));
    }

    private sealed class Throwing : ISerializer<string>
    {
        public byte[] Serialize(string data, SerializationContext context) => throw new FormatException($"cannot write '{data}'");
    }

    [Fact]
    public async Task A_client_property_librdkafka_refuses_fails_the_flow_naming_the_property()
    {
        var topic = await kafka.NewTopicAsync(1, "bad-property");
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8);
        settings.Config.Set("linger.ms", "soon");

        var done = ProduceOne(settings, topic);

        var failure = await Assert.ThrowsAsync<InvalidConfigurationException>(() => done.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("'linger.ms'", failure.Message);
        Assert.Contains("soon", failure.Message);
    }

    /// <summary>One record through a producer flow of <paramref name="settings"/>; completes when the flow does.</summary>
    private Task ProduceOne(ProducerSettings<string, string> settings, string topic) =>
        Source.Single(ProducerEnvelope<string, string, int>.Single(new ProducerRecord<string, string>(topic, "key", "value"), 0))
            .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
            .RunWith(Sink.Ignore<ProducerResults<string, string, int>>(), Sys.Materializer());

    private static bool Same(byte[]? stored, byte[]? handedOver) =>
        stored is null || handedOver is null ? stored is null && handedOver is null : stored.AsSpan().SequenceEqual(handedOver);

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
