using System.Text;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>The consumer source reads records through librdkafka's own poll: what it hands out is what was produced.</summary>
[Collection(KafkaCollection.Name)]
public sealed class ConsumedRecordTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset At = new(2019, 3, 2, 9, 21, 5, 305, TimeSpan.Zero);

    [Fact]
    public async Task Key_value_headers_timestamp_and_tombstones_arrive_as_produced()
    {
        var topic = await kafka.NewTopicAsync(1, "records");
        Produce(topic,
            new Message<byte[], byte[]>
            {
                Key = "k1"u8.ToArray(), Value = "v1"u8.ToArray(), Timestamp = new Timestamp(At),
                Headers = new Headers { { "first", "a"u8.ToArray() }, { "empty", [] }, { "first", "b"u8.ToArray() } },
            },
            new Message<byte[], byte[]> { Key = "k2"u8.ToArray(), Value = null!, Timestamp = new Timestamp(At.AddSeconds(1)) },
            new Message<byte[], byte[]> { Key = null!, Value = [], Timestamp = new Timestamp(At.AddSeconds(2)) });

        var settings = ConsumerSettings<byte[], byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.ByteArray, Deserializers.ByteArray);
        var (control, read) = KafkaConsumer.CommittableSource(settings, topic).Take(3)
            .ToMaterialized(Sink.Seq<CommittableMessage<byte[], byte[]>>(), Keep.Both).Run(Sys.Materializer());
        var records = (await Eventually.CompletesAsync(read, TimeSpan.FromSeconds(30), "three records read")).Select(m => m.Record).ToList();
        await control.ShutdownAsync();

        Assert.All(records, r => Assert.Equal(topic, r.Topic));
        Assert.Equal([0L, 1, 2], records.Select(r => r.Offset.Value));
        Assert.All(records, r => Assert.NotNull(r.LeaderEpoch));
        Assert.Equal([At, At.AddSeconds(1), At.AddSeconds(2)], records.Select(r => r.Message.Timestamp.UtcDateTime).Select(t => new DateTimeOffset(t)));
        Assert.Equal("k1", Encoding.UTF8.GetString(records[0].Message.Key));
        Assert.Equal("v1", Encoding.UTF8.GetString(records[0].Message.Value));
        Assert.Equal(["first=a", "empty=", "first=b"], records[0].Message.Headers.Select(h => $"{h.Key}={Encoding.UTF8.GetString(h.GetValueBytes())}"));
        Assert.Null(records[1].Message.Value); // a tombstone stays one
        Assert.Null(records[1].Message.Headers); // no headers: none made
        Assert.Null(records[2].Message.Key);
        Assert.Empty(records[2].Message.Value); // an empty value is a value
    }

    [Fact]
    public async Task A_value_that_does_not_deserialize_fails_the_source_naming_its_offset()
    {
        var topic = await kafka.NewTopicAsync(1, "undeserializable");
        Produce(topic,
            new Message<byte[], byte[]> { Key = "k"u8.ToArray(), Value = "fine"u8.ToArray() },
            new Message<byte[], byte[]> { Key = "k"u8.ToArray(), Value = "poison"u8.ToArray() });
        var settings = ConsumerSettings<byte[], string>.Create(kafka.Client, kafka.NewGroup(), Deserializers.ByteArray, new RefusingPoison());

        var (control, done) = KafkaConsumer.CommittableSource(settings, topic)
            .ToMaterialized(Sink.Ignore<CommittableMessage<byte[], string>>(), Keep.Both).Run(Sys.Materializer());
        var failure = await Assert.ThrowsAsync<KafkaConsumeFailedException>(() => Eventually.CompletesAsync(done, TimeSpan.FromSeconds(30), "the source fails"));
        // The consumer closed with the failure: shutting down reports it again.
        await Assert.ThrowsAsync<KafkaConsumeFailedException>(control.ShutdownAsync);

        var consume = Assert.IsType<ConsumeException>(failure.InnerException);
        Assert.Equal(ErrorCode.Local_ValueDeserialization, consume.Error.Code);
        Assert.Equal(1, consume.ConsumerRecord.Offset.Value);
        Assert.Equal("poison", Encoding.UTF8.GetString(consume.ConsumerRecord.Message.Value));
        Assert.IsType<InvalidDataException>(consume.InnerException);
    }

    private void Produce(string topic, params Message<byte[], byte[]>[] messages)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerSettings<byte[], byte[]>.Create(kafka.Client, Serializers.ByteArray, Serializers.ByteArray).Config).Build();
        foreach (var message in messages)
            producer.Produce(topic, message);
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    private sealed class RefusingPoison : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            data.SequenceEqual("poison"u8) ? throw new InvalidDataException("poison") : Encoding.UTF8.GetString(data);
    }
}
