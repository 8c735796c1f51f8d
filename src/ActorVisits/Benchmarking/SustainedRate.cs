using ActorVisits.Kafka.Settings;
using System.Diagnostics;
using ActorVisits.Configuration;
using ActorVisits.Entities.Windows;
using ActorVisits.Generation;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>One step of the rate search: live visits at a steady rate, produced while the processor consumes them.</summary>
internal sealed record SustainedRateResult(
    int Rate, double VisitsPerSecond, double UpdatesPerSecond, TimeSpan P50, TimeSpan P99, TimeSpan Max, TimeSpan ProcessingP99, long LagAtEnd, TimeSpan GcPauses, int FullGcs,
    double AllocatedBytesPerVisit, int Gcs, double CpuMicrosecondsPerVisit, int ConsumerPauses, int MostBuffered, string GcPausesByKind)
{
    /// <summary>Kept up: processed at least 95 % of the offered rate and ended less than one second of traffic behind.</summary>
    public bool Sustained => VisitsPerSecond >= 0.95 * Rate && LagAtEnd <= Rate;
}

internal static class SustainedRate
{
    public static readonly TimeSpan Settling = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Bytes the generator alone allocates per visit it produces at <paramref name="rate"/> (it runs in the same
    /// process as what is measured, so its share is subtracted to give the processor's own).
    /// </summary>
    public static async Task<double> GeneratorAllocatedBytesPerVisitAsync(IKafkaAdmin cluster, KafkaSettings kafka, int partitions, int urls, int rate, CancellationToken stopping)
    {
        var topic = $"bench-generator-{Guid.NewGuid().ToString("N")[..8]}";
        await cluster.EnsureTopicsAsync([new TopicSpec(topic, partitions, 3)], stopping);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var produced = await VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(topic, rate, null, TimeSpan.FromSeconds(5), urls, rate), null, stopping);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Math.Max(1, produced.Acknowledged);
    }

    public static async Task<SustainedRateResult> MeasureAsync(
        ActorSystem system, IKafkaAdmin cluster, KafkaSettings kafka, ProcessorSettings defaults, int partitions, int urls, int rate, TimeSpan duration,
        CancellationToken stopping)
    {
        var suffix = $"{rate}-{Guid.NewGuid().ToString("N")[..8]}";
        var windows = new WindowSet(defaults.Windows.Windows.Select(w => w with { Topic = $"bench-{w.Name}-{suffix}" }).ToList());
        var settings = defaults with
        {
            GroupId = $"bench-{suffix}",
            InputTopic = $"bench-visits-{suffix}",
            DeadLetterTopic = $"bench-dlq-{suffix}",
            Windows = windows,
        };
        await cluster.EnsureTopicsAsync(
            new[] { settings.InputTopic, settings.DeadLetterTopic }.Concat(windows.Windows.Select(w => w.Topic))
                .Select(topic => new TopicSpec(topic, partitions, 3)).ToList(), stopping);

        var processor = VisitProcessor.Start(system, kafka, settings);
        // Measure the steady state, not the group join.
        var joinDeadline = Stopwatch.StartNew();
        while (processor.Control.Assignment.Count < partitions && joinDeadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(TimeSpan.FromMilliseconds(50), stopping);

        // The first records of a step wait for the new consumer's first fetches (about half a second after the group
        // join): start-up, not the steady state this step measures. Figures count from the end of a settling period.
        var generator = VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(settings.InputTopic, rate, null, Settling + duration, urls, rate), null, stopping);
        await Task.Delay(Settling, stopping);
        processor.Metrics.ResetLatency();
        var clock = Stopwatch.StartNew();
        var (visitsBefore, updatesBefore) = (processor.Metrics.Visits, processor.Metrics.Updates);
        var (pausedBefore, gcsBefore, fullGcsBefore, allocatedBefore) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: true));
        var cpuBefore = ProcessCpu.Used;
        var gcPausesBefore = GcPauseLog.Instance.Totals();
        var pausesBefore = processor.Control.Metrics.PauseCount;
        await generator;
        var cpu = ProcessCpu.Used - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var elapsed = clock.Elapsed.TotalSeconds;
        var (visits, updates) = (processor.Metrics.Visits - visitsBefore, processor.Metrics.Updates - updatesBefore);
        var lag = (await cluster.DescribeGroupOffsetsAsync(settings.GroupId, settings.InputTopic, stopping)).Sum(p => p.Lag);
        var result = new SustainedRateResult(rate, visits / elapsed, updates / elapsed,
            processor.Metrics.Latency(50), processor.Metrics.Latency(99), processor.Metrics.Latency(100), processor.Metrics.ProcessingLatency(99), lag,
            GC.GetTotalPauseDuration() - pausedBefore, GC.CollectionCount(2) - fullGcsBefore, allocated / (double)Math.Max(1, visits), GC.CollectionCount(0) - gcsBefore,
            cpu.TotalMicroseconds / Math.Max(1, visits), processor.Control.Metrics.PauseCount - pausesBefore, processor.Control.Metrics.MaxBuffered,
            GcPauseLog.Describe(gcPausesBefore, GcPauseLog.Instance.Totals()));
        await processor.Control.DrainAndShutdownAsync(processor.Completion);
        return result;
    }
}
