using System.Text;
using ActorVisits.Entities;
using ActorVisits.Generation;
using ActorVisits.Kafka.Native;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class KeyedProducingTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Generated_visits_of_one_url_land_in_the_one_partition_the_java_client_chooses()
    {
        const int partitions = 6;
        var topic = await kafka.NewTopicAsync(partitions, "keyed");

        var summary = await VisitGenerator.RunAsync(ProducerSettings<string, byte[]>.Create(kafka.Client, Serializers.Utf8, Serializers.ByteArray), new GeneratorOptions(topic, Rate: 0, Count: 3000, Duration: null, Urls: 100, Seed: 3), null, CancellationToken.None);

        Assert.Equal(3000, summary.Acknowledged);
        var records = TestRecords.ReadAll(kafka.Client, topic, TimeSpan.FromSeconds(30));
        Assert.Equal(3000, records.Count);
        foreach (var byUrl in records.GroupBy(r => r.Message.Key))
        {
            var partition = Assert.Single(byUrl.Select(r => r.Partition.Value).Distinct());
            Assert.Equal(KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(byUrl.Key), partitions), partition);
            Assert.All(byUrl, r =>
            {
                Assert.True(VisitJson.TryParse(r.Message.Value, out var visit, out _));
                Assert.Equal(byUrl.Key, visit!.Url);
            });
        }
        Assert.Equal(partitions, records.Select(r => r.Partition.Value).Distinct().Count());
    }

    [Fact]
    public void Producers_really_run_with_acks_all_idempotence_and_the_java_partitioner()
    {
        var settings = ProducerSettings<string, byte[]>.Create(kafka.Client, Serializers.Utf8, Serializers.ByteArray);
        using var producer = new ProducerBuilder<string, byte[]>(settings.Config).Build();

        // Read back from librdkafka's live configuration, after it applied its own rules.
        Assert.Equal("-1", EffectiveConfig.Get(producer, "request.required.acks"));
        Assert.Equal("true", EffectiveConfig.Get(producer, "enable.idempotence"));
        Assert.Equal("murmur2_random", EffectiveConfig.Get(producer, "partitioner"));
    }
}
