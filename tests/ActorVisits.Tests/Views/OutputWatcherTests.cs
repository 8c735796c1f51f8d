using ActorVisits.Entities.Windows;
using ActorVisits.Tests.Support;
using ActorVisits.Views;
using Confluent.Kafka;

namespace ActorVisits.Tests.Views;

/// <summary>The viewers' reader of window topics on the embedded cluster: three topics read with one consumer.</summary>
[Collection(KafkaCollection.Name)]
public sealed class OutputWatcherTests(EmbeddedKafkaFixture kafka)
{
    /// <summary>
    /// Three window topics filled beforehand, as a viewer started on a running pipeline finds them. One consumer
    /// fetches each partition's records in large runs, one partition after another, so read in arrival order a URL's
    /// 30 s count would run minutes ahead of its 5 min count. Applied, every update comes in timestamp order across
    /// all the topics, each once, and each URL and window ends at its last update. (The hold for a silent partition is
    /// made long: a slow first fetch on a busy host must not release anything out of order.)
    /// </summary>
    [Fact]
    public async Task Updates_of_several_window_topics_are_applied_in_timestamp_order_across_them_each_once()
    {
        var windows = WindowSet.Default.Windows;
        var topics = new List<string>();
        foreach (var window in windows)
            topics.Add(await kafka.NewTopicAsync(partitions: 2, $"watch-{window.Name}"));
        const int steps = 5_000;
        var first = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var last = new Dictionary<(string Window, string Url), int>();
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig(kafka.Client) { LingerMs = 20 }).Build())
        {
            for (var i = 0; i < steps; i++)
            {
                var url = $"/store/item/{i % 20}";
                // Ten updates per second of window time: ties in timestamp across the topics, as the processor's.
                var now = first + i / 10;
                for (var w = 0; w < windows.Count; w++)
                {
                    var update = new WindowUpdate(url, windows[w], i + w, now);
                    producer.Produce(topics[w], new Message<string, byte[]>
                    {
                        Key = url, Value = WindowUpdateJson.Serialize(update), Timestamp = new Timestamp(update.WindowEnd),
                    });
                    last[(windows[w].Name, url)] = i + w;
                }
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var applied = new List<UpdateRead>();
        using var stopping = new CancellationTokenSource();
        var watcher = OutputWatcher.RunAsync(kafka.Client, topics, update =>
        {
            lock (applied)
                applied.Add(update);
        }, stopping.Token, maxHold: TimeSpan.FromMinutes(5));
        int Applied()
        {
            lock (applied)
                return applied.Count;
        }
        await Eventually.HoldsAsync(() => Applied() >= steps * windows.Count || watcher.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"{steps * windows.Count} updates applied (so far {Applied()})");
        await stopping.CancelAsync();
        await Eventually.CompletesAsync(watcher, TimeSpan.FromSeconds(30), "the watcher stops");

        Assert.Equal(steps * windows.Count, applied.Count);
        var outOfOrder = applied.Zip(applied.Skip(1)).Count(pair => pair.Second.WindowEnd < pair.First.WindowEnd);
        Assert.True(outOfOrder == 0, $"{outOfOrder} of {applied.Count} updates applied after a later one");
        var final = applied.GroupBy(u => (u.Window, u.Url)).ToDictionary(g => g.Key, g => g.Last().Count);
        Assert.Equal(last.OrderBy(e => e.Key).ToList(), final.OrderBy(e => e.Key).ToList());
    }

    [Fact]
    public async Task A_topic_that_does_not_exist_fails_the_watcher_with_the_brokers_error_instead_of_showing_nothing()
    {
        var missing = $"no-such-output-{Guid.NewGuid():N}";
        var watcher = OutputWatcher.RunAsync(kafka.Client, [missing], _ => { }, CancellationToken.None);

        await Eventually.HoldsAsync(() => watcher.IsCompleted, TimeSpan.FromSeconds(30), "the watcher gives up on a topic that does not exist");
        var error = Assert.IsType<Confluent.Kafka.ConsumeException>(watcher.Exception?.GetBaseException());
        Assert.True(error.Error.Code is Confluent.Kafka.ErrorCode.UnknownTopicOrPart or Confluent.Kafka.ErrorCode.Local_UnknownTopic, error.Error.ToString());
    }
}
