using ActorVisits.Kafka.Settings;
using System.Diagnostics;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Admin;
using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>One step of the plain clients' rate search, measured like the processor's (<see cref="SustainedRateResult"/>).</summary>
internal sealed record RawRateResult(int Rate, double VisitsPerSecond, long LagAtEnd, double AllocatedBytesPerVisit)
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
        var readBefore = pipeline.Read;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await generator;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var visitsPerSecond = (pipeline.Read - readBefore) / clock.Elapsed.TotalSeconds;
        var lag = (await cluster.DescribeGroupOffsetsAsync(group, input, stopping)).Sum(p => p.Lag);
        await done.CancelAsync();
        await consuming;
        pipeline.Finish();
        return new RawRateResult(rate, visitsPerSecond, lag, allocated / Math.Max(1, visitsPerSecond * clock.Elapsed.TotalSeconds));
    }

    private static async Task<(string Input, string Output, string Group)> TopicsAsync(IKafkaAdmin cluster, int partitions, CancellationToken stopping)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (input, output) = ($"ceiling-visits-{suffix}", $"ceiling-updates-{suffix}");
        await cluster.EnsureTopicsAsync([new TopicSpec(input, partitions, 3), new TopicSpec(output, partitions, 3)], stopping);
        return (input, output, $"ceiling-{suffix}");
    }

    /// <summary>One plain consumer and one plain producer: each visit read becomes three records produced under its key.</summary>
    private sealed class Pipeline : IDisposable
    {
        private static readonly byte[] Update = new byte[190];

        private readonly string _output;
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly IConsumer<byte[], byte[]> _consumer;
        private long _read;
        private long _acknowledged;
        private long _failed;

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
            for (var i = 0; i < UpdatesPerVisit; i++)
                Produce(record.Message.Key);
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

        private void Produce(byte[] key) =>
            PlainProduce.WaitingForRoom(_producer, _output, new Message<byte[], byte[]> { Key = key, Value = Update }, OnDelivery);

        private void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
                Interlocked.Increment(ref _failed);
            else
                Interlocked.Increment(ref _acknowledged);
        }
    }
}
