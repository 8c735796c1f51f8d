using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>The producer flow asks, just before handing each record to librdkafka, whether it may still be produced.</summary>
[Collection(KafkaCollection.Name)]
public sealed class ProducerFenceTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Records_fenced_off_when_they_reach_the_producer_are_never_produced_and_the_envelope_still_passes_through()
    {
        var topic = await kafka.NewTopicAsync(1, "fenced");
        var settings = ProducerSettings<string, string>.Create(kafka.Client, Serializers.Utf8, Serializers.Utf8);
        // The fence decides when the envelope reaches the producer, not when it was made: "revoked" flips in between.
        var revoked = false;
        var envelopes = Enumerable.Range(0, 4).Select(batch =>
        {
            var records = Enumerable.Range(0, 3).Select(i => new ProducerRecord<string, string>(topic, new Message<string, string> { Key = $"{batch}", Value = $"{batch}-{i}" })).ToList();
            return ProducerEnvelope<string, string, int>.Multi(records, batch) with { MayProduce = i => !(revoked && i != 1) };
        }).ToList();

        var results = await Source.From(envelopes)
            .Select(envelope =>
            {
                revoked = envelope.PassThrough >= 2;
                return envelope;
            })
            .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
            .RunWith(Sink.Seq<ProducerResults<string, string, int>>(), Sys.Materializer());

        Assert.Equal([0, 1, 2, 3], results.Select(r => r.PassThrough));
        Assert.All(results.Skip(2), r => Assert.Equal([false, true, false], r.Deliveries.Select(d => d is not null)));
        var produced = TestRecords.ReadAll(kafka.Client, topic, TimeSpan.FromSeconds(30)).Select(r => r.Message.Value.Length > 0 ? TestRecords.Text(r.Message.Value) : "").ToList();
        Assert.Equal(["0-0", "0-1", "0-2", "1-0", "1-1", "1-2", "2-1", "3-1"], produced.Order());
    }
}
