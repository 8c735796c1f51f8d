using System.Diagnostics;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

[Collection(KafkaCollection.Name)]
public sealed class BackpressureTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    private const int Partitions = 48;
    private const int RecordBytes = 1000;
    private const int Records = 144_000;
    private const long MemoryBound = 48L * 1024 * 1024;

    [Fact]
    public async Task A_slow_downstream_pauses_the_consumer_and_memory_stays_bounded_while_the_topic_holds_far_more()
    {
        var topic = await kafka.NewTopicAsync(Partitions, "backpressure");
        ProduceFiller(topic);
        var topicBytes = (long)Records * RecordBytes;

        var settings = ConsumerSettings<string, byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.Utf8, Deserializers.ByteArray) with
        {
            MaxBufferedRecords = 500,
        };
        settings.Config.QueuedMaxMessagesKbytes = 2048;
        settings.Config.FetchMaxBytes = 1024 * 1024;
        settings.Config.MaxPartitionFetchBytes = 64 * 1024;

        var baseline = ResidentBytes();
        long processed = 0;
        var control = KafkaConsumer.CommittableSource(settings, topic)
            .Throttle(500, TimeSpan.FromSeconds(1), 50, ThrottleMode.Shaping)
            .ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(_ => Interlocked.Increment(ref processed)), Keep.Left)
            .Run(Sys.Materializer());

        await Eventually.HoldsAsync(() => control.Metrics.Paused && Interlocked.Read(ref processed) >= 1500, TimeSpan.FromSeconds(60), "the consumer paused under a slow sink");
        var growth = ResidentBytes() - baseline;

        // Still flowing: the consumer resumes as the sink drains its buffer.
        var seen = Interlocked.Read(ref processed);
        await Eventually.HoldsAsync(() => Interlocked.Read(ref processed) >= seen + 500, TimeSpan.FromSeconds(30), "consumption goes on after the pause");
        await control.ShutdownAsync();

        Assert.True(topicBytes > 2 * MemoryBound, "the topic must hold far more than the bound");
        Assert.True(control.Metrics.MaxBuffered <= settings.MaxBufferedRecords, $"buffered {control.Metrics.MaxBuffered} records");
        Assert.True(growth < MemoryBound, $"resident memory grew by {growth / (1024 * 1024)} MB while the topic holds {topicBytes / (1024 * 1024)} MB");
    }

    [Fact]
    public async Task Large_records_fill_the_buffer_to_its_byte_bound_not_its_record_bound_and_none_is_lost()
    {
        const int partitions = 8, perPartition = 25, largeBytes = 100_000, byteBound = 1_000_000;
        var topic = await kafka.NewTopicAsync(partitions, "large-records");
        var settings = ProducerSettings<byte[], byte[]>.Create(kafka.Client, Serializers.ByteArray, Serializers.ByteArray);
        using (var producer = new ProducerBuilder<byte[], byte[]>(settings.Config).Build())
        {
            var value = new byte[largeBytes];
            for (var i = 0; i < partitions * perPartition; i++)
                producer.Produce(new TopicPartition(topic, i % partitions), new Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = value });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        }

        // The record bound alone (10,000) would let all 200 records (20 MB) wait in the buffer.
        var consumerSettings = ConsumerSettings<string, byte[]>.Create(kafka.Client, kafka.NewGroup(), Deserializers.Utf8, Deserializers.ByteArray) with
        {
            MaxBufferedBytes = byteBound,
        };
        var gate = new TaskCompletionSource();
        long processed = 0;
        var control = KafkaConsumer.CommittableSource(consumerSettings, topic)
            .SelectAsync(1, async message =>
            {
                await gate.Task;
                return message;
            })
            .ToMaterialized(Sink.ForEach<CommittableMessage<string, byte[]>>(_ => Interlocked.Increment(ref processed)), Keep.Left)
            .Run(Sys.Materializer());

        // Downstream takes nothing: the buffer fills to its byte bound, stays full, and the consumer pauses.
        await Eventually.HoldsAsync(() => control.Metrics.Paused, TimeSpan.FromSeconds(60),
            () => $"the consumer paused with a full buffer ({control.Metrics.MaxBuffered} records, {control.Metrics.MaxBufferedBytes:N0} bytes)");
        Assert.InRange(control.Metrics.MaxBufferedBytes, byteBound, byteBound + largeBytes + 4);
        Assert.True(control.Metrics.MaxBuffered <= byteBound / largeBytes + 1, $"buffered {control.Metrics.MaxBuffered} records");

        gate.SetResult();
        await Eventually.HoldsAsync(() => Interlocked.Read(ref processed) == partitions * perPartition, TimeSpan.FromSeconds(60),
            () => $"every record consumed once the sink takes them (got {Interlocked.Read(ref processed)})");
        await control.ShutdownAsync();
        Assert.InRange(control.Metrics.MaxBufferedBytes, byteBound, byteBound + largeBytes + 4);
    }

    private void ProduceFiller(string topic)
    {
        var settings = ProducerSettings<byte[], byte[]>.Create(kafka.Client, Serializers.ByteArray, Serializers.ByteArray);
        using var producer = new ProducerBuilder<byte[], byte[]>(settings.Config).Build();
        var value = new byte[RecordBytes];
        Random.Shared.NextBytes(value);
        for (var i = 0; i < Records; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(topic, i % Partitions), new Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = value });
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Flush(TimeSpan.FromSeconds(1));
                }
            }
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
