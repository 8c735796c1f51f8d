using System.Collections.Concurrent;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Owns one Confluent.Kafka consumer on a dedicated thread: every call to it (poll, pause, resume, commit, close) and
/// every rebalance callback happens there, so nothing races on the client. It fills a bounded buffer that the source
/// stage drains, pausing all partitions while the buffer is full, and serves commit requests in order between polls.
/// </summary>
internal sealed class ConsumerWorker<TKey, TValue> : IOffsetCommitter
{
    private readonly ConsumerSettings<TKey, TValue> _settings;
    private readonly IReadOnlyList<string> _topics;
    private readonly ConcurrentQueue<CommittableMessage<TKey, TValue>> _buffer = new();
    private readonly ConcurrentQueue<CommitRequest> _commitRequests = new();
    private static readonly TimeSpan CommittedTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<TopicPartition, AssignedPartition> _assigned = new();
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly Dictionary<TopicPartition, long> _nextOffsets = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private IConsumer<TKey, TValue>? _consumer;
    private Action _recordsAvailable = () => { };
    private Action<Exception> _failed = _ => { };
    private long _nextEpoch;
    private int _buffered;
    private volatile bool _stopConsuming;
    private volatile bool _shutdown;

    public ConsumerWorker(ConsumerSettings<TKey, TValue> settings, IReadOnlyList<string> topics)
    {
        _settings = settings;
        _topics = topics;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-consumer-{settings.GroupId}" };
    }

    public ConsumerMetrics Metrics { get; } = new();

    /// <summary>Partitions assigned right now.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => _assigned.Keys.ToList();

    /// <summary>Partitions assigned right now, with their epoch and the committed offset they were assigned at.</summary>
    public IReadOnlyList<AssignedPartition> AssignedPartitions => _assigned.Values.ToList();

    /// <summary>Completes once the consumer has left its group and closed.</summary>
    public Task Closed => _closed.Task;

    public void Start(Action recordsAvailable, Action<Exception> failed)
    {
        _recordsAvailable = recordsAvailable;
        _failed = failed;
        _thread.Start();
    }

    /// <summary>Takes the next buffered record whose partition is still assigned under the same epoch.</summary>
    public bool TryTake(out CommittableMessage<TKey, TValue> message)
    {
        while (_buffer.TryDequeue(out message!))
        {
            Interlocked.Decrement(ref _buffered);
            var offset = message.CommittableOffset;
            if (IsCurrent(offset.TopicPartition, offset.AssignmentEpoch))
                return true;
        }
        return false;
    }

    /// <summary>Stops handing out records (all partitions paused) but keeps the consumer in its group to serve commits.</summary>
    public void StopConsuming() => _stopConsuming = true;

    /// <summary>Serves the pending commits, then leaves the group and closes the consumer.</summary>
    public Task ShutdownAsync()
    {
        _stopConsuming = true;
        _shutdown = true;
        if (!_thread.IsAlive)
            _closed.TrySetResult();
        return _closed.Task;
    }

    public Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets)
    {
        var request = new CommitRequest(offsets);
        _commitRequests.Enqueue(request);
        if (_closed.Task.IsCompleted && _commitRequests.TryDequeue(out var late))
            late.Done.TrySetException(new InvalidOperationException("The consumer is closed; its offsets can no longer be committed."));
        return request.Done.Task;
    }

    private void Run()
    {
        try
        {
            using var consumer = new ConsumerBuilder<TKey, TValue>(_settings.Config)
                .SetKeyDeserializer(_settings.KeyDeserializer)
                .SetValueDeserializer(_settings.ValueDeserializer)
                .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition), commitPending: true))
                .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition), commitPending: false))
                .SetLogHandler(KafkaLog.For(_settings.Config))
                .Build();
            _consumer = consumer;
            consumer.Subscribe(_topics);
            while (!_shutdown)
            {
                ServeCommits();
                ApplyFlowControl();
                ConsumeResult<TKey, TValue>? record;
                try
                {
                    record = consumer.Consume(_settings.PollTimeout);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // A record that cannot be deserialized, or a transient broker error: fail loudly, never skip silently.
                    throw new KafkaConsumeFailedException(e);
                }
                if (record is null || record.IsPartitionEOF)
                    continue;
                Enqueue(record);
            }
            ServeCommits();
            consumer.Close();
            _consumer = null;
            FailPendingCommits(new InvalidOperationException("The consumer closed before this commit could be sent."));
            _closed.TrySetResult();
        }
        catch (Exception e)
        {
            FailPendingCommits(e);
            _closed.TrySetException(e);
            _failed(e);
        }
    }

    private void Enqueue(ConsumeResult<TKey, TValue> record)
    {
        if (!_assigned.TryGetValue(record.TopicPartition, out var assigned))
            return;
        _buffer.Enqueue(new CommittableMessage<TKey, TValue>(record, new CommittableOffset(record.TopicPartitionOffset, assigned.Epoch, this)));
        _nextOffsets[record.TopicPartition] = record.Offset.Value + 1;
        var buffered = Interlocked.Increment(ref _buffered);
        Metrics.ObserveBuffered(buffered);
        if (buffered == 1)
            _recordsAvailable();
    }

    /// <summary>
    /// Pauses every assigned partition while the buffer is full or consuming stopped; resumes below half. Pausing makes
    /// librdkafka drop what it prefetched; on resume each partition is sought to the offset after the last record
    /// this worker buffered, rather than left to librdkafka's own resume position, which was seen to skip records and
    /// stall under frequent pause/resume (CompletenessTests).
    /// </summary>
    private void ApplyFlowControl()
    {
        var consumer = _consumer!;
        var buffered = Volatile.Read(ref _buffered);
        if (_stopConsuming || buffered >= _settings.MaxBufferedRecords)
        {
            var toPause = consumer.Assignment.Where(p => !_paused.Contains(p)).ToList();
            if (toPause.Count > 0)
            {
                consumer.Pause(toPause);
                _paused.UnionWith(toPause);
                Metrics.Paused = true;
                Metrics.PauseCount++;
            }
        }
        else if (_paused.Count > 0 && buffered <= _settings.MaxBufferedRecords / 2)
        {
            var resumed = _paused.Where(p => _assigned.ContainsKey(p)).ToList();
            consumer.Resume(resumed);
            foreach (var partition in resumed)
            {
                if (_nextOffsets.TryGetValue(partition, out var next))
                    consumer.Seek(new TopicPartitionOffset(partition, next));
            }
            _paused.Clear();
            Metrics.Paused = false;
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        var committed = CommittedOffsets(partitions);
        foreach (var partition in partitions)
        {
            _assigned[partition] = new AssignedPartition(partition, Interlocked.Increment(ref _nextEpoch), committed.GetValueOrDefault(partition));
        }
        Metrics.Rebalances++;
    }

    /// <summary>The group's committed offsets of newly assigned partitions; none when they cannot be read (they are only a hint).</summary>
    private Dictionary<TopicPartition, long?> CommittedOffsets(List<TopicPartition> partitions)
    {
        try
        {
            return _consumer!.Committed(partitions, CommittedTimeout)
                .ToDictionary(p => p.TopicPartition, p => p.Offset.IsSpecial ? (long?)null : p.Offset.Value);
        }
        catch (KafkaException)
        {
            return [];
        }
    }

    private void OnRevoked(IEnumerable<TopicPartition> partitions, bool commitPending)
    {
        // Offsets already requested for commit belong to processed records: commit them while the partitions are still ours.
        if (commitPending)
            ServeCommits();
        foreach (var partition in partitions)
        {
            _assigned.TryRemove(partition, out _);
            _paused.Remove(partition);
            _nextOffsets.Remove(partition);
        }
        Metrics.Rebalances++;
    }

    private void ServeCommits()
    {
        while (_commitRequests.TryDequeue(out var request))
        {
            var current = request.Offsets
                .Where(o => IsCurrent(o.TopicPartition, o.AssignmentEpoch))
                .GroupBy(o => o.TopicPartition)
                .Select(g => new TopicPartitionOffset(g.Key, g.Max(o => o.Offset.Offset.Value) + 1))
                .ToList();
            try
            {
                if (current.Count > 0)
                    _consumer!.Commit(current);
                Metrics.AddCommitted(current.Count, request.Offsets.Count - current.Count);
                request.Done.TrySetResult();
            }
            catch (KafkaException e) when (IsRebalanceError(e.Error.Code))
            {
                // The group moved on: these partitions now belong to a new generation, whose owner re-reads the
                // uncommitted records (at-least-once). Not committing here is the safe outcome.
                Metrics.AddCommitted(0, request.Offsets.Count);
                request.Done.TrySetResult();
            }
            catch (Exception e)
            {
                request.Done.TrySetException(e);
            }
        }
    }

    /// <summary>The partition is still assigned under <paramref name="epoch"/>.</summary>
    public bool IsAssigned(TopicPartition partition, long epoch) => IsCurrent(partition, epoch);

    private bool IsCurrent(TopicPartition partition, long epoch) => _assigned.TryGetValue(partition, out var assigned) && assigned.Epoch == epoch;

    private static bool IsRebalanceError(ErrorCode code) =>
        code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId
            or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost;

    private void FailPendingCommits(Exception reason)
    {
        while (_commitRequests.TryDequeue(out var request))
            request.Done.TrySetException(reason);
    }

    private sealed record CommitRequest(IReadOnlyCollection<CommittableOffset> Offsets)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
