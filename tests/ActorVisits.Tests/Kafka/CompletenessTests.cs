using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class CompletenessTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Every_offset_is_emitted_exactly_once_through_many_pause_and_resume_cycles()
    {
        var topic = await kafka.NewTopicAsync(6, "complete");
        TestRecords.ProduceVisits(kafka.Client, topic, 60_000, urls: 500);
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.Utf8, Deserializers.ByteArray) with
        {
            MaxBufferedRecords = 200,
            // Pause as soon as the buffer is full: what is tested is the seek on every resume.
            PauseWhenFullFor = TimeSpan.Zero,
        };

        var seen = new List<(int Partition, long Offset)>();
        var control = KafkaConsumer.CommittableSource(settings, topic)
            // Downstream slower than the consumer, so the buffer fills and the consumer pauses and resumes again and again.
            .Throttle(5000, TimeSpan.FromSeconds(1), 500, ThrottleMode.Shaping)
            .ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(m => { lock (seen) seen.Add((m.Record.Partition.Value, m.Record.Offset.Value)); }), Keep.Left)
            .Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => { lock (seen) return seen.Count >= 60_000; }, TimeSpan.FromSeconds(60), () => $"60,000 records emitted (got {seen.Count}, paused {control.Metrics.PauseCount} times)");
        await control.ShutdownAsync();

        foreach (var partition in seen.GroupBy(s => s.Partition))
        {
            var offsets = partition.Select(s => s.Offset).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
        }
        Assert.Equal(60_000, seen.Count);
        Assert.True(control.Metrics.PauseCount > 5, $"the consumer paused {control.Metrics.PauseCount} times");
    }
}
