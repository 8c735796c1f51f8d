using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>
/// A downstream stall fills the source's buffer. Shorter than <see cref="ConsumerSettings{TKey,TValue}.PauseWhenFullFor"/>,
/// the consumer only stops polling and keeps librdkafka's prefetch; longer, it pauses its partitions; a downstream that
/// keeps taking at full speed is never paused. Every offset arrives once, in order.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class FullBufferTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    private const int Records = 20_000;
    private const int Buffer = 200;

    [Fact]
    public async Task A_stall_shorter_than_the_pause_delay_holds_the_polls_without_pausing()
    {
        var (control, seen, release) = await StallAsync(TimeSpan.FromMinutes(10), stalledUntil: c => c.Metrics.MaxBuffered >= Buffer);
        Assert.False(control.Metrics.Paused, "paused during a stall shorter than the pause delay");
        release();
        await EveryOffsetOnceAsync(control, seen);
        Assert.Equal(0, control.Metrics.PauseCount);
        Assert.True(control.Metrics.MaxBuffered <= Buffer, $"buffered {control.Metrics.MaxBuffered} records");
    }

    [Fact]
    public async Task A_stall_longer_than_the_pause_delay_pauses_the_partitions_then_resumes_where_it_stopped()
    {
        var (control, seen, release) = await StallAsync(TimeSpan.FromMilliseconds(200), stalledUntil: c => c.Metrics.Paused);
        release();
        await EveryOffsetOnceAsync(control, seen);
        Assert.True(control.Metrics.PauseCount >= 1, $"paused {control.Metrics.PauseCount} times");
        Assert.True(control.Metrics.MaxBuffered <= Buffer, $"buffered {control.Metrics.MaxBuffered} records");
    }

    [Fact]
    public async Task A_buffer_kept_full_by_a_busy_downstream_is_never_paused()
    {
        var topic = await kafka.NewTopicAsync(3, "fullbuffer-busy");
        TestRecords.ProduceVisits(kafka.Client, topic, Records, urls: 100);
        // Downstream takes 2,000 records/s for 10 s, 30 buffers' worth per pause delay: full all along (the topic is
        // filled ahead), never stuck. Only a starvation of nearly the whole delay (on a loaded CI host a 1 s delay
        // was seen to fall short) would look stuck; the rule before this one paused every 3 s.
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.Utf8, Deserializers.ByteArray) with
        {
            MaxBufferedRecords = Buffer,
            PauseWhenFullFor = TimeSpan.FromSeconds(3),
        };
        var seen = new List<(int Partition, long Offset)>();
        var control = KafkaConsumer.CommittableSource(settings, topic)
            .Throttle(2000, TimeSpan.FromSeconds(1), 200, ThrottleMode.Shaping)
            .ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(m => { lock (seen) seen.Add((m.Record.Partition.Value, m.Record.Offset.Value)); }), Keep.Left)
            .Run(Sys.Materializer());

        await EveryOffsetOnceAsync(control, seen);
        Assert.Equal(Buffer, control.Metrics.MaxBuffered);
        Assert.Equal(0, control.Metrics.PauseCount);
    }

    /// <summary>Runs a source whose downstream waits before its first record until released, once <paramref name="stalledUntil"/> holds.</summary>
    private async Task<(IConsumerControl Control, List<(int Partition, long Offset)> Seen, Action Release)> StallAsync(
        TimeSpan pauseWhenFullFor, Func<IConsumerControl, bool> stalledUntil)
    {
        var topic = await kafka.NewTopicAsync(3, "fullbuffer");
        TestRecords.ProduceVisits(kafka.Client, topic, Records, urls: 100);
        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.Utf8, Deserializers.ByteArray) with
        {
            MaxBufferedRecords = Buffer,
            PauseWhenFullFor = pauseWhenFullFor,
        };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<(int Partition, long Offset)>();
        var control = KafkaConsumer.CommittableSource(settings, topic)
            .SelectAsync(1, async message =>
            {
                await gate.Task;
                return message;
            })
            .ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(m => { lock (seen) seen.Add((m.Record.Partition.Value, m.Record.Offset.Value)); }), Keep.Left)
            .Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => stalledUntil(control), TimeSpan.FromSeconds(60),
            () => $"stalled (buffered at most {control.Metrics.MaxBuffered}, paused {control.Metrics.PauseCount} times)");
        return (control, seen, () => gate.TrySetResult());
    }

    private static async Task EveryOffsetOnceAsync(IConsumerControl control, List<(int Partition, long Offset)> seen)
    {
        await Eventually.HoldsAsync(() => { lock (seen) return seen.Count >= Records; }, TimeSpan.FromSeconds(60),
            () => $"{Records:N0} records emitted (got {seen.Count:N0}, paused {control.Metrics.PauseCount} times)");
        await control.ShutdownAsync();
        lock (seen)
        {
            foreach (var partition in seen.GroupBy(s => s.Partition))
                Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(s => s.Offset));
            Assert.Equal(Records, seen.Count);
        }
    }
}
