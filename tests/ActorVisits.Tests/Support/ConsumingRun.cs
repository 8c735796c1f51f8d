using System.Collections.Concurrent;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Settings;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>
/// A consuming stream under test: committable source → record what was processed → committer, committing only the
/// records <c>commitThis</c> accepts. Drained and shut down like a production stream.
/// </summary>
public sealed class ConsumingRun
{
    private ConsumingRun(IConsumerControl control, Task committed, ConcurrentQueue<ConsumeResult<string, byte[]>> processed)
    {
        Control = control;
        Committed = committed;
        Processed = processed;
    }

    public IConsumerControl Control { get; }

    public Task Committed { get; }

    public ConcurrentQueue<ConsumeResult<string, byte[]>> Processed { get; }

    public static ConsumingRun Start(
        ActorSystem system, ClientConfig client, string topic, string groupId,
        Func<int, ConsumeResult<string, byte[]>, bool>? commitThis = null, CommitterSettings? committer = null)
    {
        var settings = ConsumerSettings<string, byte[]>.Create(client, groupId, Deserializers.Utf8, Deserializers.ByteArray);
        var processed = new ConcurrentQueue<ConsumeResult<string, byte[]>>();
        var index = 0;
        var (control, committed) = KafkaConsumer.CommittableSource(settings, topic)
            .Select(message =>
            {
                processed.Enqueue(message.Record);
                return (Index: index++, Message: message);
            })
            .Where(pair => commitThis?.Invoke(pair.Index, pair.Message.Record) ?? true)
            .Select(pair => pair.Message.CommittableOffset)
            .ToMaterialized(Committer.Sink(committer ?? new CommitterSettings { MaxBatch = 1 }), Keep.Both)
            .Run(system.Materializer());
        return new ConsumingRun(control, committed, processed);
    }

    public Task WaitForAsync(int processedCount, TimeSpan? within = null) =>
        Eventually.HoldsAsync(() => Processed.Count >= processedCount, within ?? TimeSpan.FromSeconds(60), () => $"{processedCount} records processed (got {Processed.Count})");

    public Task StopAsync() => Eventually.CompletesAsync(Control.DrainAndShutdownAsync(Committed), TimeSpan.FromSeconds(30), "drain and shutdown");

    /// <summary>Per partition, the offset after the highest processed record among <paramref name="records"/>.</summary>
    public static Dictionary<int, long> NextOffsets(IEnumerable<ConsumeResult<string, byte[]>> records) =>
        records.GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value) + 1);
}
