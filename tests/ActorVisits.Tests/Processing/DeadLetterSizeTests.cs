using ActorVisits.Entities;
using ActorVisits.Processing;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// A dead letter cut to its size limit is accepted by a producer whose <c>message.max.bytes</c> is that limit, however
/// many headers the bad record carried: librdkafka counts each header's length fields, and a copy it refused would
/// fail the stream on every restart at the same record.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class DeadLetterSizeTests(EmbeddedKafkaFixture kafka)
{
    private const int Limit = 20_000;

    [Theory]
    [InlineData(0)]
    [InlineData(600)]
    [InlineData(3_000)]
    public async Task A_dead_letter_cut_to_the_limit_is_accepted_by_a_producer_with_that_limit(int emptyHeaders)
    {
        var topic = await kafka.NewTopicAsync(1, "dlq-size");
        var headers = new Headers();
        for (var i = 0; i < emptyHeaders; i++)
            headers.Add("h", []);
        var source = new ConsumeResult<byte[], byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset("visits", 3, 1234),
            Message = new Message<byte[], byte[]> { Key = new byte[300], Value = new byte[Limit * 3], Headers = headers, Timestamp = new Timestamp(DateTime.UtcNow) },
        };
        var copy = OutputRecords.DeadLetter(topic, source, new Rejection(Rejection.TooLarge, $"{Limit * 3} bytes"), Limit);
        Assert.NotNull(copy.Headers!.GetLastBytes(OutputRecords.TruncatedHeader));

        var config = new ProducerConfig(kafka.Client) { MessageMaxBytes = Limit, Acks = Acks.All, EnableIdempotence = true };
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var written = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = copy.Key, Value = copy.Value, Headers = copy.Headers, Timestamp = copy.Timestamp });
        Assert.Equal(PersistenceStatus.Persisted, written.Status);
    }
}
