using System.Diagnostics;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Cluster;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>
/// What plain Confluent.Kafka moves on this machine for the processor's work, without it: consume visits and, for each,
/// produce three update-sized records with acks=all and idempotence, committing a consumed offset every 1,000 visits.
/// </summary>
internal static class RawCeiling
{
    private const int UpdatesPerVisit = 3;

    public static async Task<double> VisitsPerSecondAsync(IKafkaCluster cluster, KafkaSettings kafka, int partitions, int visits, CancellationToken stopping)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var input = $"ceiling-visits-{suffix}";
        var output = $"ceiling-updates-{suffix}";
        await cluster.EnsureTopicsAsync([new TopicSpec(input, partitions, 3), new TopicSpec(output, partitions, 3)], stopping);
        await VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(input, 0, visits, null, 10_000, 1), null, stopping);

        var consumerSettings = kafka.Consumer($"ceiling-{suffix}", Deserializers.ByteArray, Deserializers.ByteArray);
        var producerSettings = kafka.Producer(Serializers.ByteArray, Serializers.ByteArray);
        using var producer = new ProducerBuilder<byte[], byte[]>(producerSettings.Config).SetLogHandler(KafkaLog.For(producerSettings.Config)).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(consumerSettings.Config).SetLogHandler(KafkaLog.For(consumerSettings.Config)).Build();
        consumer.Subscribe(input);
        var update = new byte[190];
        long acknowledged = 0, failed = 0;
        void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
                Interlocked.Increment(ref failed);
            else
                Interlocked.Increment(ref acknowledged);
        }

        Stopwatch? clock = null;
        for (var read = 0; read < visits && !stopping.IsCancellationRequested;)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null)
                continue;
            clock ??= Stopwatch.StartNew(); // from the first record: the group join is not the client's throughput
            for (var i = 0; i < UpdatesPerVisit; i++)
            {
                while (true)
                {
                    try
                    {
                        producer.Produce(output, new Message<byte[], byte[]> { Key = record.Message.Key, Value = update }, OnDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }
            if (++read % 1000 == 0)
                consumer.Commit(record);
        }
        producer.Flush(TimeSpan.FromSeconds(60));
        var elapsed = clock?.Elapsed ?? TimeSpan.Zero;
        consumer.Close();
        if (Interlocked.Read(ref failed) > 0 || Interlocked.Read(ref acknowledged) != (long)visits * UpdatesPerVisit)
            throw new InvalidOperationException($"The raw ceiling run lost records: {acknowledged} acknowledged, {failed} failed.");
        return visits / elapsed.TotalSeconds;
    }
}
