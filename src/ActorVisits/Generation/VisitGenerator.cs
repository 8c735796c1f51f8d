using System.Diagnostics;
using ActorVisits.Entities;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka;
using Confluent.Kafka;

namespace ActorVisits.Generation;

/// <summary>
/// Produces realistic MediaSeller visits to Kafka, keyed by URL so that one URL always lands in one partition, with
/// <c>acks=all</c> and idempotence. Paced to a steady rate; ends by waiting for every acknowledgement.
/// </summary>
public static class VisitGenerator
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    public static async Task<GeneratorProgress> RunAsync(
        ProducerSettings<string, byte[]> settings, GeneratorOptions options, Action<GeneratorProgress>? onProgress, CancellationToken cancellationToken)
    {
        options.Validate();
        var factory = new VisitFactory(new UrlCatalogue(options.Urls), options.Seed is { } seed ? new Random(seed) : new Random());
        long sent = 0, acknowledged = 0, failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        GeneratorProgress Snapshot() => new(sent, Interlocked.Read(ref acknowledged), Interlocked.Read(ref failed), clock.Elapsed);

        // librdkafka's "any partition" of the topic, made once: the overload taking a topic name makes one per visit.
        var anyPartition = new TopicPartition(options.Topic, Partition.Any);
        using var producer = new ProducerBuilder<string, byte[]>(settings.Config)
            .SetKeySerializer(settings.KeySerializer)
            .SetValueSerializer(settings.ValueSerializer)
            .SetLogHandler(KafkaLog.For(settings.Config))
            .Build();

        void OnDelivery(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref firstError, report.Error.Reason, null);
                Interlocked.Increment(ref failed);
            }
            else
            {
                Interlocked.Increment(ref acknowledged);
            }
        }

        var nextReport = TimeSpan.FromSeconds(1);
        try
        {
            while (!cancellationToken.IsCancellationRequested
                   && (options.Count is not { } count || sent < count)
                   && (options.Duration is not { } duration || clock.Elapsed < duration))
            {
                if (options.Rate > 0)
                {
                    // Steady pacing: visit n is due at n / rate seconds; sleep only when ahead of schedule.
                    var due = TimeSpan.FromSeconds((double)sent / options.Rate);
                    var ahead = due - clock.Elapsed;
                    if (ahead > TimeSpan.FromMilliseconds(1))
                        await Task.Delay(ahead, cancellationToken);
                }
                var visit = factory.Next(DateTimeOffset.UtcNow);
                var message = new Message<string, byte[]> { Key = visit.Url, Value = VisitJson.Serialize(visit), Timestamp = new Timestamp(visit.Timestamp) };
                await ProduceWithRoomAsync(producer, anyPartition, message, OnDelivery, cancellationToken);
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
        producer.Flush(FlushTimeout);
        var summary = Snapshot();
        onProgress?.Invoke(summary);
        if (firstError is not null)
            Console.Error.WriteLine($"First delivery error: {firstError}");
        return summary;
    }

    private static async Task ProduceWithRoomAsync(
        IProducer<string, byte[]> producer, TopicPartition topic, Message<string, byte[]> message,
        Action<DeliveryReport<string, byte[]>> onDelivery, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // librdkafka's queue is full: wait for acknowledgements to make room (producer-side backpressure).
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }
    }
}
