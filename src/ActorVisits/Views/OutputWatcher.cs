using ActorVisits.Kafka;
using Confluent.Kafka;

namespace ActorVisits.Views;

/// <summary>
/// Reads window updates from output topics and hands each to <c>apply</c> (for a view,
/// <see cref="LatestCounts.Apply(UpdateRead)"/>), from the oldest record still held, in a consumer group of its own
/// that never commits: a viewer, not a processor. Updates are applied in timestamp order across the topics
/// (<see cref="WindowUpdateReader"/>), so one topic read ahead of another does not show a URL's short window above its
/// long one.
/// </summary>
public static class OutputWatcher
{
    // maxHold: the longest an update waits for a partition that neither delivers nor ends (default WindowUpdateReader.DefaultMaxHold).
    public static Task RunAsync(ClientConfig client, IReadOnlyList<string> topics, Action<UpdateRead> apply, CancellationToken stopping, TimeSpan? maxHold = null) =>
        Task.Factory.StartNew(() =>
        {
            var config = WindowUpdateReader.Configure(new ConsumerConfig(new Dictionary<string, string>(client))
            {
                GroupId = $"actorvisits-watch-{Guid.NewGuid():N}",
                // A viewer: it reads, never commits, and leaves no offsets behind.
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
            });
            var reader = new WindowUpdateReader(maxHold);
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetLogHandler(KafkaLog.For(config))
                .SetPartitionsAssignedHandler((_, partitions) => reader.Assigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => reader.Revoked(partitions.Select(p => p.TopicPartition)))
                .SetPartitionsLostHandler((_, partitions) => reader.Revoked(partitions.Select(p => p.TopicPartition)))
                .Build();
            consumer.Subscribe(topics);
            try
            {
                reader.Run(consumer, apply, TimeSpan.FromMilliseconds(100), stopping);
            }
            finally
            {
                consumer.Close();
            }
        }, stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
