using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Stages;
using Confluent.Kafka;

namespace ActorVisits.Views;

/// <summary>
/// Reads window updates from every partition a viewer's consumer is given and hands them on in timestamp order across
/// all of them (<see cref="TimeOrderedMerge{T}"/>), so that a URL's windows are shown as of the same moment even while
/// one topic is read ahead of another. Its consumer must report partition ends (<see cref="Configure"/>), and tell it
/// of assignments: <see cref="Assigned"/> and <see cref="Revoked"/>. Used by the consumer's one thread.
/// </summary>
public sealed class WindowUpdateReader(TimeSpan? maxHold = null)
{
    /// <summary>By default, the longest an update waits for a partition that neither delivers nor reaches its end.</summary>
    public static readonly TimeSpan DefaultMaxHold = TimeSpan.FromSeconds(5);

    private readonly TimeOrderedMerge<UpdateRead> _merge = new(maxHold ?? DefaultMaxHold);

    /// <summary>Sets what the reader needs of its consumer's configuration.</summary>
    public static ConsumerConfig Configure(ConsumerConfig config)
    {
        // The end of a partition tells the merge that nothing older is on its way from there.
        config.EnablePartitionEof = true;
        return config;
    }

    public void Assigned(IEnumerable<TopicPartition> partitions) => _merge.Assign(partitions);

    public void Revoked(IEnumerable<TopicPartition> partitions) => _merge.Revoke(partitions);

    /// <summary>Reads until <paramref name="stopping"/>, handing each update to <paramref name="apply"/>; records that are not window updates are skipped.</summary>
    public void Run(IConsumer<Ignore, byte[]> consumer, Action<UpdateRead> apply, TimeSpan poll, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            ConsumeResult<Ignore, byte[]>? record;
            try
            {
                record = consumer.Consume(poll);
            }
            catch (ConsumeException e) when (!ConsumeErrors.NoRetryCures(e.Error, consumer.Assignment.Count == 0))
            {
                // librdkafka retries by itself. Otherwise (a topic that does not exist, refused credentials) the viewer
                // fails rather than show nothing without a word.
                record = null;
            }
            var now = DateTimeOffset.UtcNow;
            if (record is { IsPartitionEOF: true })
                _merge.EndReached(record.TopicPartition);
            else if (record?.Message is { } message)
            {
                if (message.Value is { } value && WindowUpdateJson.TryParse(value, out var url, out var window, out var count, out var windowEnd))
                    _merge.Read(record.TopicPartition, message.Timestamp.UnixTimestampMs, new UpdateRead(window, url, count, windowEnd), now);
                else
                    _merge.Passed(record.TopicPartition, message.Timestamp.UnixTimestampMs);
            }
            foreach (var update in _merge.Release(now))
                apply(update);
        }
    }
}

/// <summary>A window update as a viewer read it: one URL's count in one window, as of <see cref="WindowEnd"/>.</summary>
public readonly record struct UpdateRead(string Window, string Url, int Count, DateTimeOffset WindowEnd);
