using System.Diagnostics;
using ActorVisits.Entities.Windows;
using ActorVisits.Generation;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>
/// The same filled topic replayed by the <see cref="NaiveLoop"/> and by the processor, each into topics of its own,
/// after a smaller race that is not reported: both run their code compiled by then, whatever ran before in the process.
/// </summary>
internal static class ReplayRace
{
    private const int WarmUpVisits = 20_000;

    public static async Task<(long Visits, double NaivePerSecond, double ProcessorPerSecond)> RunAsync(
        ActorSystem system, IKafkaAdmin cluster, KafkaSettings kafka, ProcessorSettings defaults, int partitions, int urls, int visits, CancellationToken stopping)
    {
        await RaceAsync(system, cluster, kafka, defaults, partitions, urls, Math.Min(WarmUpVisits, visits), stopping);
        return await RaceAsync(system, cluster, kafka, defaults, partitions, urls, visits, stopping);
    }

    private static async Task<(long Visits, double NaivePerSecond, double ProcessorPerSecond)> RaceAsync(
        ActorSystem system, IKafkaAdmin cluster, KafkaSettings kafka, ProcessorSettings defaults, int partitions, int urls, int visits, CancellationToken stopping)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var input = $"race-visits-{suffix}";
        WindowSet Windows(string who) => new(defaults.Windows.Windows.Select(w => w with { Topic = $"race-{who}-{w.Name}-{suffix}" }).ToList());
        var (naiveWindows, processorWindows) = (Windows("naive"), Windows("processor"));
        var settings = defaults with
        {
            GroupId = $"race-{suffix}",
            InputTopic = input,
            DeadLetterTopic = $"race-dlq-{suffix}",
            LateTopic = null,
            Windows = processorWindows,
            StartFrom = AutoOffsetReset.Earliest,
        };
        await cluster.EnsureTopicsAsync(
            new[] { input, settings.DeadLetterTopic }.Concat(naiveWindows.Windows.Concat(processorWindows.Windows).Select(w => w.Topic))
                .Select(topic => new TopicSpec(topic, partitions, 3)).ToList(), stopping);
        await VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(input, 0, visits, null, urls, 1), null, stopping);
        // What the embedded broker kept (about 5 MB per partition).
        var ends = await cluster.DescribeGroupOffsetsAsync(settings.GroupId, input, stopping);
        var available = ends.Sum(e => e.End - e.LogStart);

        var naive = await Task.Factory.StartNew(() => NaiveLoop.Replay(kafka, input, naiveWindows, available, stopping), TaskCreationOptions.LongRunning);

        var processor = VisitProcessor.Start(system, kafka, settings);
        Stopwatch? clock = null;
        while (!stopping.IsCancellationRequested)
        {
            var handled = processor.Metrics.Visits + processor.Metrics.Late + processor.Metrics.DeadLettered;
            if (handled > 0)
                clock ??= Stopwatch.StartNew();
            if (handled >= available && (await cluster.DescribeGroupOffsetsAsync(settings.GroupId, input, stopping)).Sum(p => p.Lag) == 0)
                break;
            await Task.Delay(TimeSpan.FromMilliseconds(20), stopping);
        }
        var took = clock?.Elapsed ?? TimeSpan.Zero;
        await processor.Control.DrainAndShutdownAsync(processor.Completion);
        return (available, naive, available / took.TotalSeconds);
    }
}
