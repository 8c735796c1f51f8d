using System.Collections.Concurrent;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace ActorVisits.Processing;

/// <summary>
/// Evidence that a partition is idle, not merely unread: where its log ends, as its leader said it within the last
/// <see cref="Freshness"/>. Without records for a while, a partition follows the wall clock (idle-advance) only when
/// this shows that everything in its log has been handed to its actor. A partition whose records stop arriving because
/// the brokers are unreachable, a rebalance holds the consumer, or the stream waits (backpressure) has no fresh answer or
/// more records than were handled, and keeps its stream time: the records still to come count in the windows they
/// belong to, as a recount of the input says they do.
/// Asked in the background, at most once per <see cref="Freshness"/>/2, only about partitions that look idle.
/// </summary>
internal sealed class PartitionEnds : IDisposable
{
    /// <summary>How old a log end may be and still count as evidence.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    private readonly Lazy<IAdminClient> _admin;
    private readonly ConcurrentDictionary<TopicPartition, (long End, DateTimeOffset At)> _ends = new();
    private readonly TimeProvider _clock;
    private int _asking;
    private DateTimeOffset _lastAsked;

    public PartitionEnds(KafkaSettings kafka, TimeProvider clock)
    {
        _clock = clock;
        var config = kafka.Client();
        _admin = new Lazy<IAdminClient>(() => new AdminClientBuilder(config).SetLogHandler(KafkaLog.For(config)).Build());
    }

    /// <summary>
    /// Whether the log of <paramref name="partition"/> ended at or before <paramref name="nextOffset"/> (the offset
    /// after the last record handled) by an answer fresher than <see cref="Freshness"/>.
    /// </summary>
    public bool HandledToTheEnd(TopicPartition partition, long nextOffset) =>
        _ends.TryGetValue(partition, out var end) && _clock.GetUtcNow() - end.At <= Freshness && end.End <= nextOffset;

    /// <summary>Asks, in the background, where the logs of <paramref name="partitions"/> end, unless a question is already out or was asked just now.</summary>
    public void Refresh(IReadOnlyCollection<TopicPartition> partitions)
    {
        var now = _clock.GetUtcNow();
        if (partitions.Count == 0 || now - _lastAsked < Freshness / 2 || Interlocked.Exchange(ref _asking, 1) == 1)
            return;
        _lastAsked = now;
        _ = AskAsync(partitions);
    }

    private async Task AskAsync(IReadOnlyCollection<TopicPartition> partitions)
    {
        try
        {
            var asked = _clock.GetUtcNow();
            var answer = await _admin.Value.ListOffsetsAsync(
                partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = OffsetSpec.Latest() }),
                // The consumer reads committed records only (librdkafka's default): its end is the last stable offset.
                new ListOffsetsOptions { RequestTimeout = RequestTimeout, IsolationLevel = IsolationLevel.ReadCommitted });
            foreach (var info in answer.ResultInfos)
            {
                if (info.TopicPartitionOffsetError.Error.IsError)
                    continue;
                _ends[info.TopicPartitionOffsetError.TopicPartition] = (info.TopicPartitionOffsetError.Offset.Value, asked);
            }
        }
        catch (Exception e) when (e is KafkaException or ListOffsetsException or OperationCanceledException)
        {
            // No evidence: the partitions keep their stream time until an answer comes.
        }
        finally
        {
            Volatile.Write(ref _asking, 0);
        }
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
            _admin.Value.Dispose();
    }
}
