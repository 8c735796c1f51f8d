using ActorVisits.Kafka.Settings;
using System.Diagnostics;
using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>How fast a partition's windows are rebuilt: every partition of a filled topic replayed at once, as after a restart.</summary>
internal static class RebuildSpeed
{
    /// <summary>Replays the same filled topic <paramref name="attempts"/> times (a replay lasts about half a second); each attempt's records and time.</summary>
    public static async Task<IReadOnlyList<(long Replayed, TimeSpan Took)>> MeasureAsync(
        ActorSystem system, IKafkaAdmin cluster, KafkaSettings kafka, ProcessorSettings defaults, int partitions, int urls, int records,
        int attempts, CancellationToken stopping)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var settings = defaults with { GroupId = $"rebuild-{suffix}", InputTopic = $"rebuild-visits-{suffix}" };
        await cluster.EnsureTopicsAsync([new TopicSpec(settings.InputTopic, partitions, 3)], stopping);
        await VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(settings.InputTopic, 0, records, null, urls, 1), null, stopping);
        var ends = await cluster.DescribeGroupOffsetsAsync(settings.GroupId, settings.InputTopic, stopping);

        var results = new List<(long, TimeSpan)>();
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var metrics = new ProcessorMetrics();
            var rebuild = new PartitionRebuild(kafka, settings, metrics);
            var clock = Stopwatch.StartNew();
            // As if the group had committed every record: each partition replays up to its end.
            await Task.WhenAll(ends.Select(async end =>
            {
                var partition = system.ActorOf(PartitionActor.Props(settings.Windows, settings.IdleAdvance, rebuilding: true));
                await rebuild.StartAsync(new TopicPartition(settings.InputTopic, end.Partition), end.End, partition, revoked: static () => false, stopping);
                partition.Tell(WindowsProtocol.StopPartition.Instance);
            }));
            results.Add((metrics.Replayed, clock.Elapsed));
        }
        return results;
    }
}
