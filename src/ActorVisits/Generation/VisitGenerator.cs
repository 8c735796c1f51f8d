using System.Diagnostics;
using ActorVisits.Entities;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Native;
using Confluent.Kafka;

namespace ActorVisits.Generation;

/// <summary>
/// Produces realistic MediaSeller visits to Kafka, keyed by URL so that one URL always lands in one partition, with
/// <c>acks=all</c> and idempotence. Paced to a steady rate; ends by waiting for every acknowledgement.
/// </summary>
public static class VisitGenerator
{
    // Within the 28 s a stopping process is given (Program's ProcessTerminationTimeout), so that the summary is printed.
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How far behind its schedule the paced generator may fall before it stops trying to catch up.</summary>
    private static readonly TimeSpan MaxCatchUp = TimeSpan.FromSeconds(1);

    public static async Task<GeneratorProgress> RunAsync(
        ProducerSettings<string, byte[]> settings, GeneratorOptions options, Action<GeneratorProgress>? onProgress, CancellationToken cancellationToken)
    {
        options.Validate();
        var factory = new VisitFactory(new UrlCatalogue(options.Urls), options.Seed is { } seed ? new Random(seed) : new Random());
        long sent = 0;
        var deliveries = new Deliveries();
        var clock = Stopwatch.StartNew();
        GeneratorProgress Snapshot() => new(sent, Interlocked.Read(ref deliveries.Acknowledged), Interlocked.Read(ref deliveries.Failed), clock.Elapsed);

        // Through librdkafka's C API: neither a visit nor its acknowledgement makes a .NET object past the visit itself.
        using var producer = NativeProducer.Create(settings.Config, deliveries);
        var topic = producer.TopicHandle(options.Topic);
        // The key of a URL, serialized once (the catalogue bounds the URLs).
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        var nextReport = TimeSpan.FromSeconds(1);
        // Pacing counts from a base that moves on after a stall (brokers down, a full queue): the visits a stall held
        // back are not sent afterwards in one burst, which would be a spike the steady rate never asked for.
        var (paceFromSent, paceFromTime) = (0L, TimeSpan.Zero);
        string? stoppedBy = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested
                   && (options.Count is not { } count || sent < count)
                   && (options.Duration is not { } duration || clock.Elapsed < duration))
            {
                if (options.Rate > 0)
                {
                    // Steady pacing: visit n is due at n / rate seconds; sleep only when ahead of schedule.
                    var due = paceFromTime + TimeSpan.FromSeconds((double)(sent - paceFromSent) / options.Rate);
                    var ahead = due - clock.Elapsed;
                    if (ahead > TimeSpan.FromMilliseconds(1))
                        await Task.Delay(ahead, cancellationToken);
                    else if (ahead < -MaxCatchUp)
                        (paceFromSent, paceFromTime) = (sent, clock.Elapsed);
                }
                var visit = factory.Next(DateTimeOffset.UtcNow);
                if (!keys.TryGetValue(visit.Url, out var key))
                    keys[visit.Url] = key = settings.KeySerializer.Serialize(visit.Url, new SerializationContext(MessageComponentType.Key, options.Topic));
                var timestampMs = visit.Timestamp.ToUnixTimeMilliseconds();
                var error = producer.Produce(topic, key, VisitJson.SerializeInPlace(visit), timestampMs, null, IntPtr.Zero);
                if (error is { Code: ErrorCode.Local_QueueFull })
                {
                    var deadline = options.Duration is { } until ? TimeSpan.FromTicks(Math.Max(0, (until - clock.Elapsed).Ticks)) : Timeout.InfiniteTimeSpan;
                    error = await ProduceWithRoomAsync(producer, topic, key, VisitJson.Serialize(visit), timestampMs, deadline,
                        () => onProgress?.Invoke(Snapshot()), cancellationToken);
                    if (error is { Code: ErrorCode.Local_QueueFull })
                        break; // --duration ran out while the queue stayed full: that visit was never sent.
                    // The wait reported every second itself.
                    nextReport = clock.Elapsed + TimeSpan.FromSeconds(1);
                }
                if (error is not null)
                {
                    // Not a matter of time (an unknown topic, a record too large): stop, but still flush and summarise.
                    stoppedBy = $"Producing to '{options.Topic}' failed: {error.Reason} ({error.Code}).";
                    break;
                }
                sent++;
                if (clock.Elapsed >= nextReport)
                {
                    onProgress?.Invoke(Snapshot());
                    nextReport = clock.Elapsed + TimeSpan.FromSeconds(1);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        // Whatever was sent gets its acknowledgement (or failure) before the summary.
        // A second at a time, reported: a flush waiting on unreachable brokers is not a hung generator.
        var flushing = Stopwatch.StartNew();
        bool flushed;
        while (!(flushed = producer.Flush(TimeSpan.FromSeconds(1))) && flushing.Elapsed < FlushTimeout)
            onProgress?.Invoke(Snapshot());
        var summary = Snapshot();
        if (!flushed)
            Console.Error.WriteLine($"{summary.Sent - summary.Acknowledged - summary.Failed:N0} visit(s) not acknowledged within {FlushTimeout.TotalSeconds:0} s (brokers unreachable?): they may or may not have been written.");
        onProgress?.Invoke(summary);
        if (deliveries.FirstError is { } firstError)
            Console.Error.WriteLine($"First delivery error: {firstError}");
        return summary with { StoppedBy = stoppedBy };
    }

    /// <summary>
    /// librdkafka's queue is full: waits for acknowledgements to make room (producer-side backpressure), for
    /// <paramref name="longest"/> at most (infinite: until room or cancellation). Null once produced, else the last error
    /// (<c>Local_QueueFull</c> when the time ran out).
    /// </summary>
    private static async Task<Error?> ProduceWithRoomAsync(
        NativeProducer producer, IntPtr topic, byte[] key, byte[] value, long timestampMs, TimeSpan longest, Action report, CancellationToken cancellationToken)
    {
        // Progress goes on being reported while the brokers do not acknowledge (down, slow): a waiting generator is not a hung one.
        var nextReport = Stopwatch.StartNew();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (longest != Timeout.InfiniteTimeSpan && waited.Elapsed >= longest)
                return new Error(ErrorCode.Local_QueueFull);
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            if (nextReport.Elapsed >= TimeSpan.FromSeconds(1))
            {
                report();
                nextReport.Restart();
            }
            var error = producer.Produce(topic, key, value, timestampMs, null, IntPtr.Zero);
            if (error is null || error.Code != ErrorCode.Local_QueueFull)
                return error;
        }
    }

    /// <summary>Counts acknowledgements and failures on the producer's poll thread.</summary>
    private sealed class Deliveries : IDeliveryListener
    {
        public long Acknowledged;
        public long Failed;
        public string? FirstError;

        public void OnDelivered(NativeDeliveryReport report)
        {
            if (report.Error == ErrorCode.NoError)
            {
                Interlocked.Increment(ref Acknowledged);
                return;
            }
            Interlocked.CompareExchange(ref FirstError, new Error(report.Error).Reason, null);
            Interlocked.Increment(ref Failed);
        }
    }
}
