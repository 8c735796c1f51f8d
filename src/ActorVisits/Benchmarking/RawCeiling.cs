using ActorVisits.Kafka.Settings;
using System.Diagnostics;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Admin;
using Confluent.Kafka;
using HdrHistogram;

namespace ActorVisits.Benchmarking;

/// <summary>One step of the plain clients' rate search, measured like the processor's (<see cref="SustainedRateResult"/>).</summary>
internal sealed record RawRateResult(int Rate, double VisitsPerSecond, long LagAtEnd, double AllocatedBytesPerVisit, TimeSpan P50, TimeSpan P99, TimeSpan ProcessingP99,
    double CpuMicrosecondsPerVisit)
{
    public bool Sustained => VisitsPerSecond >= 0.95 * Rate && LagAtEnd <= Rate;
}

/// <summary>
/// What plain Confluent.Kafka moves on this machine for the processor's work, without it: consume visits and, for each,
/// produce three update-sized records with acks=all and idempotence, committing the consumed positions every 1,000 visits.
/// Measured two ways: draining a topic filled beforehand (the client alone on the machine), and at a steady live rate
/// while the generator produces, exactly as the processor is measured.
/// </summary>
internal static class RawCeiling
{
    private const int UpdatesPerVisit = 3;
    private const int CommitEvery = 1000;

    /// <summary>Visits per second draining <paramref name="visits"/> produced beforehand, from the first record read to the last acknowledgement.</summary>
    public static async Task<double> DrainedVisitsPerSecondAsync(IKafkaAdmin cluster, KafkaSettings kafka, int partitions, int visits, CancellationToken stopping)
    {
        var (input, output, group) = await TopicsAsync(cluster, partitions, stopping);
        await VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(input, 0, visits, null, 10_000, 1), null, stopping);
        using var pipeline = new Pipeline(kafka, input, output, group);
        Stopwatch? clock = null;
        while (pipeline.Read < visits && !stopping.IsCancellationRequested)
        {
            if (pipeline.Step())
                clock ??= Stopwatch.StartNew(); // from the first record: the group join is not the client's throughput
        }
        pipeline.Finish();
        return visits / (clock?.Elapsed ?? TimeSpan.Zero).TotalSeconds;
    }

    /// <summary>Live visits at <paramref name="rate"/> for <paramref name="duration"/> after settling, consumed while they are produced.</summary>
    public static async Task<RawRateResult> SustainedAsync(
        IKafkaAdmin cluster, KafkaSettings kafka, int partitions, int urls, int rate, TimeSpan duration, CancellationToken stopping)
    {
        var (input, output, group) = await TopicsAsync(cluster, partitions, stopping);
        using var pipeline = new Pipeline(kafka, input, output, group);
        using var done = new CancellationTokenSource();
        var consuming = Task.Factory.StartNew(() =>
        {
            while (!done.IsCancellationRequested)
                pipeline.Step();
        }, TaskCreationOptions.LongRunning);

        var generator = VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(input, rate, null, SustainedRate.Settling + duration, urls, rate), null, stopping);
        await Task.Delay(SustainedRate.Settling, stopping);
        pipeline.ResetLatency();
        var readBefore = pipeline.Read;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = ProcessCpu.Used;
        var clock = Stopwatch.StartNew();
        await generator;
        var cpu = ProcessCpu.Used - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var read = pipeline.Read - readBefore;
        var visitsPerSecond = read / clock.Elapsed.TotalSeconds;
        var lag = (await cluster.DescribeGroupOffsetsAsync(group, input, stopping)).Sum(p => p.Lag);
        await done.CancelAsync();
        await consuming;
        pipeline.Finish();
        return new RawRateResult(rate, visitsPerSecond, lag, allocated / (double)Math.Max(1, read),
            pipeline.Latency(50), pipeline.Latency(99), pipeline.ProcessingLatency(99), cpu.TotalMicroseconds / Math.Max(1, read));
    }

    private static async Task<(string Input, string Output, string Group)> TopicsAsync(IKafkaAdmin cluster, int partitions, CancellationToken stopping)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (input, output) = ($"ceiling-visits-{suffix}", $"ceiling-updates-{suffix}");
        await cluster.EnsureTopicsAsync([new TopicSpec(input, partitions, 3), new TopicSpec(output, partitions, 3)], stopping);
        return (input, output, $"ceiling-{suffix}");
    }

    /// <summary>
    /// One plain consumer and one plain producer: each visit read becomes three records produced under its key. Its
    /// latency is measured as the processor's: from the visit's timestamp (and from its read) to its third acknowledgement.
    /// </summary>
    private sealed class Pipeline : IDisposable
    {
        private static readonly byte[] Update = new byte[190];

        private readonly string _output;
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly IConsumer<byte[], byte[]> _consumer;
        private long _read;
        private long _acknowledged;
        private long _failed;
        private LongConcurrentHistogram _latency = NewHistogram();
        private LongConcurrentHistogram _processingLatency = NewHistogram();

        public Pipeline(KafkaSettings kafka, string input, string output, string group)
        {
            _output = output;
            var consumerSettings = kafka.Consumer(group, Deserializers.ByteArray, Deserializers.ByteArray);
            var producerSettings = kafka.Producer(Serializers.ByteArray, Serializers.ByteArray);
            _producer = new ProducerBuilder<byte[], byte[]>(producerSettings.Config).SetLogHandler(KafkaLog.For(producerSettings.Config)).Build();
            _consumer = new ConsumerBuilder<byte[], byte[]>(consumerSettings.Config).SetLogHandler(KafkaLog.For(consumerSettings.Config)).Build();
            _consumer.Subscribe(input);
        }

        public long Read => Interlocked.Read(ref _read);

        /// <summary>Reads at most one visit and produces its records; false when none came within 100 ms.</summary>
        public bool Step()
        {
            var record = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null)
                return false;
            var acks = new VisitAcks(this, record.Message.Timestamp.UnixTimestampMs, Stopwatch.GetTimestamp());
            for (var i = 0; i < UpdatesPerVisit; i++)
                PlainProduce.WaitingForRoom(_producer, _output, new Message<byte[], byte[]> { Key = record.Message.Key, Value = Update }, acks.OnDelivery);
            _consumer.StoreOffset(record);
            // Every partition's position, so the committed lag measures the same thing as the processor's.
            if (Interlocked.Increment(ref _read) % CommitEvery == 0)
                _consumer.Commit();
            return true;
        }

        /// <summary>Waits for every acknowledgement; a lost record would make the ceiling meaningless.</summary>
        public void Finish()
        {
            _producer.Flush(TimeSpan.FromSeconds(60));
            var expected = Read * UpdatesPerVisit;
            if (Interlocked.Read(ref _failed) > 0 || Interlocked.Read(ref _acknowledged) != expected)
                throw new InvalidOperationException($"The raw ceiling run lost records: {_acknowledged} of {expected} acknowledged, {_failed} failed.");
        }

        public void Dispose()
        {
            _consumer.Close();
            _consumer.Dispose();
            _producer.Dispose();
        }

        public void ResetLatency()
        {
            Volatile.Write(ref _latency, NewHistogram());
            Volatile.Write(ref _processingLatency, NewHistogram());
        }

        public TimeSpan Latency(double percentile) => TimeSpan.FromMicroseconds(Volatile.Read(ref _latency).GetValueAtPercentile(percentile));

        public TimeSpan ProcessingLatency(double percentile) => TimeSpan.FromMicroseconds(Volatile.Read(ref _processingLatency).GetValueAtPercentile(percentile));

        // Microseconds, up to an hour, 3 significant digits: as the processor's.
        private static LongConcurrentHistogram NewHistogram() => new(1, 3_600_000_000L, 3);

        private static void Record(LongConcurrentHistogram histogram, long microseconds) =>
            histogram.RecordValue(Math.Clamp(microseconds, 1, histogram.HighestTrackableValue));

        /// <summary>One visit's three records: its latency is known at the last acknowledgement.</summary>
        private sealed class VisitAcks(Pipeline pipeline, long producedAtUnixMs, long readAt)
        {
            private int _remaining = UpdatesPerVisit;

            public void OnDelivery(DeliveryReport<byte[], byte[]> report)
            {
                if (report.Error.IsError)
                    Interlocked.Increment(ref pipeline._failed);
                else
                    Interlocked.Increment(ref pipeline._acknowledged);
                if (Interlocked.Decrement(ref _remaining) != 0)
                    return;
                Record(Volatile.Read(ref pipeline._latency), (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - producedAtUnixMs) * 1000);
                Record(Volatile.Read(ref pipeline._processingLatency), (long)Stopwatch.GetElapsedTime(readAt).TotalMicroseconds);
            }
        }
    }
}
