using System.Collections.Concurrent;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>
/// A partition revoked while its consumer was paused for backpressure, and given back to it after it resumed, is read
/// again: librdkafka keeps an application's pause across unassignment, so the consumer must lift it as the partition goes.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class PauseAcrossRebalanceTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit
{
    private const int Partitions = 4;
    private const int PerPartition = 100;

    [Fact]
    public async Task A_partition_revoked_while_paused_and_assigned_back_after_the_resume_is_consumed_to_its_end()
    {
        var topic = await kafka.NewTopicAsync(Partitions, "pause-rebalance");
        var group = kafka.NewGroup();
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig(new Dictionary<string, string>(kafka.Client))).Build())
        {
            for (var i = 0; i < Partitions * PerPartition; i++)
                producer.Produce(new TopicPartition(topic, i % Partitions), new Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = new byte[10] });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        var settings = ConsumerSettings<byte[], byte[]>.Create(kafka.Client, group, Deserializers.ByteArray, Deserializers.ByteArray) with { MaxBufferedRecords = 20 };

        // A: its downstream stalls until the gate opens, so it pauses every partition it holds.
        var gate = new TaskCompletionSource();
        var seenByA = new ConcurrentDictionary<(int Partition, long Offset), bool>();
        var a = KafkaConsumer.CommittableSource(settings, topic)
            .SelectAsync(1, async m =>
            {
                await gate.Task;
                return m;
            })
            .ToMaterialized(Sink.ForEach<CommittableMessage<byte[], byte[]>>(m => seenByA[(m.Record.Partition.Value, m.Record.Offset.Value)] = true), Keep.Left)
            .Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => a.Assignment.Count == Partitions && a.Metrics.Paused, TimeSpan.FromSeconds(30), "A holds every partition, paused");

        // B joins and takes half of them away from the paused A; it reads without committing.
        var b = KafkaConsumer.CommittableSource(settings, topic).ToMaterialized(Sink.Ignore<CommittableMessage<byte[], byte[]>>(), Keep.Left).Run(Sys.Materializer());
        await Eventually.HoldsAsync(() => a.Assignment.Count > 0 && b.Assignment.Count > 0 && a.Assignment.Count + b.Assignment.Count == Partitions,
            TimeSpan.FromSeconds(60), "A and B share the partitions");
        var movedToB = b.Assignment.Select(p => p.Partition.Value).ToList();
        var keptByA = a.Assignment.Select(p => p.Partition.Value).ToList();

        // A resumes and reads what it kept to the end.
        gate.SetResult();
        await Eventually.HoldsAsync(() => keptByA.All(p => Enumerable.Range(0, PerPartition).All(o => seenByA.ContainsKey((p, o)))), TimeSpan.FromSeconds(30),
            () => $"A read its partitions {string.Join(",", keptByA)} to the end ({seenByA.Count} records)");

        // B leaves: its partitions come back to A, which must read them (nothing was committed: from their beginning).
        await Eventually.CompletesAsync(b.ShutdownAsync(), TimeSpan.FromSeconds(30), "B leaves");
        await Eventually.HoldsAsync(() => a.Assignment.Count == Partitions, TimeSpan.FromSeconds(60), "A holds every partition again");
        await Eventually.HoldsAsync(() => movedToB.All(p => Enumerable.Range(0, PerPartition).All(o => seenByA.ContainsKey((p, o)))), TimeSpan.FromSeconds(30),
            () => $"A read the partitions {string.Join(",", movedToB)} given back to it ({movedToB.Sum(p => seenByA.Keys.Count(k => k.Partition == p))} of {movedToB.Count * PerPartition} records)");
        await a.ShutdownAsync();
    }
}
