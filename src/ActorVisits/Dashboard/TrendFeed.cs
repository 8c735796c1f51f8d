using ActorVisits.Kafka;
using ActorVisits.Kafka.Settings;
using ActorVisits.Views;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Dashboard;

/// <summary>
/// Reads every window topic into the <see cref="TrendBoard"/>: all their partitions, assigned without a consumer group
/// (a viewer commits nothing and joins no group), from the records written within the longest window (plus a minute)
/// before it started; older updates describe windows that have decayed since. Waits for topics that do not exist yet.
/// Updates are applied in timestamp order across the topics (<see cref="WindowUpdateReader"/>), so a URL's windows are
/// shown as of the same moment while the feed catches up.
/// </summary>
public sealed class TrendFeed(TrendBoard board, KafkaSettings kafka, ILogger<TrendFeed> logger) : BackgroundService
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    /// <summary>Pause before reading again after the feed failed.</summary>
    private static readonly TimeSpan RestartAfter = TimeSpan.FromSeconds(10);

    // On a thread of its own, all of it synchronous: a blocking poll loop resumed after an await would hold a pool thread,
    // which the actors' dispatchers share, for good.
    protected override Task ExecuteAsync(CancellationToken stopping) =>
        Task.Factory.StartNew(() => RunUntilStopped(stopping), stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// A failure of the viewer (a fatal client error, a certificate file it cannot read) is logged and the feed starts
    /// again: an exception escaping a hosted service would stop the host, and with it the counting.
    /// </summary>
    private void RunUntilStopped(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                Run(stopping);
                return;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "Dashboard feed failed; it reads the window topics again in {Seconds} s (counting goes on)", RestartAfter.TotalSeconds);
            }
            stopping.WaitHandle.WaitOne(RestartAfter);
        }
    }

    private void Run(CancellationToken stopping)
    {
        var client = kafka.Client();
        var config = WindowUpdateReader.Configure(new ConsumerConfig(new Dictionary<string, string>(client))
        {
            // Never used to join or commit: partitions are assigned by hand. librdkafka wants one all the same.
            GroupId = "actorvisits-dashboard",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Latest,
        });
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetLogHandler(KafkaLog.For(config)).Build();
        var topics = board.Windows.Select(w => w.Topic).ToList();
        var since = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(board.Windows.Max(w => w.Seconds)) - TimeSpan.FromMinutes(1);
        var assigned = Assign(consumer, client, topics, since, stopping);
        if (assigned is null)
            return;
        logger.LogInformation("Dashboard reading {Topics} ({Partitions} partitions) from {Since:O}", string.Join(", ", topics), assigned.Count, since);
        var reader = new WindowUpdateReader();
        reader.Assigned(assigned.Select(p => p.TopicPartition));
        reader.Run(consumer, update => board.Apply(update.Window, update.Url, update.Count, update.WindowEnd, DateTimeOffset.UtcNow),
            TimeSpan.FromMilliseconds(200), stopping);
        consumer.Close();
    }

    /// <summary>Assigns every partition of <paramref name="topics"/> at the first offset written since <paramref name="since"/>; null when stopped first.</summary>
    private List<TopicPartitionOffset>? Assign(IConsumer<Ignore, byte[]> consumer, ClientConfig client, IReadOnlyList<string> topics,
        DateTimeOffset since, CancellationToken stopping)
    {
        using var admin = new AdminClientBuilder(client).SetLogHandler(KafkaLog.For(client)).Build();
        var warned = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var partitions = topics.SelectMany(topic => admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics
                        .Where(t => t.Topic == topic && !t.Error.IsError)
                        .SelectMany(t => t.Partitions.Select(p => new TopicPartition(topic, p.PartitionId))))
                    .ToList();
                if (partitions.Select(p => p.Topic).Distinct().Count() == topics.Count)
                {
                    // The ends first: a partition with no record since then is read from the end it had before the
                    // search, not from the logical end, which librdkafka resolves later and so skips what is written
                    // in between (the first seconds of a pipeline that has just started).
                    var ends = partitions.ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High);
                    var at = new Timestamp(since.UtcDateTime);
                    var offsets = consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(p, at)), TimeSpan.FromSeconds(10))
                        .Select(o => o.Offset.IsSpecial ? new TopicPartitionOffset(o.TopicPartition, ends[o.TopicPartition]) : o)
                        .ToList();
                    consumer.Assign(offsets);
                    return offsets;
                }
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                if (!warned)
                    logger.LogWarning("Dashboard waiting for the window topics {Topics}: {Error}", string.Join(", ", topics), e.Error.Reason);
                warned = true;
            }
            if (stopping.WaitHandle.WaitOne(Retry))
                return null;
        }
        return null;
    }
}
