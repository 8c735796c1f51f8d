using ActorVisits.Entities.Windows;
using ActorVisits.Kafka;
using Confluent.Kafka;

namespace ActorVisits.Views;

/// <summary>
/// Reads window updates from output topics into <see cref="LatestCounts"/>, from the oldest record still held, in a
/// consumer group of its own that never commits: a viewer, not a processor.
/// </summary>
public static class OutputWatcher
{
    public static Task RunAsync(ClientConfig client, IReadOnlyList<string> topics, LatestCounts counts, CancellationToken stopping) =>
        Task.Factory.StartNew(() =>
        {
            var config = new ConsumerConfig(new Dictionary<string, string>(client))
            {
                GroupId = $"actorvisits-watch-{Guid.NewGuid():N}",
                // A viewer: it reads, never commits, and leaves no offsets behind.
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
            };
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetLogHandler(KafkaLog.For(config)).Build();
            consumer.Subscribe(topics);
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (record?.Message?.Value is { } value && WindowUpdateJson.TryParse(value, out var url, out var window, out var count, out var windowEnd))
                        counts.Apply(window, url, count, windowEnd);
                }
            }
            finally
            {
                consumer.Close();
            }
        }, stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
