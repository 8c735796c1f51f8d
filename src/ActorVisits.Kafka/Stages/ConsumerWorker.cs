using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Native;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Owns one Confluent.Kafka consumer on a dedicated thread: every call to it (poll, pause, resume, commit, close) and
/// every rebalance callback happens there, so nothing races on the client. It fills a bounded buffer that the source
/// stage drains: while the buffer is full it stops polling (librdkafka's prefetch waits), and only a buffer full for
/// longer than <see cref="ConsumerSettings{TKey,TValue}.PauseWhenFullFor"/> with downstream (nearly) stuck pauses all partitions. It serves commit
/// requests in order between polls.
/// Broker trouble does not stop it: consume errors that librdkafka retries itself (a fetch that timed out, a broker
/// gone) are logged and counted, and a commit refused for a retriable reason (coordinator unavailable or moving, a
/// time-out) is kept and retried, superseded by later offsets, for up to <see cref="ConsumerSettings{TKey,TValue}.CommitRetryFor"/>.
/// </summary>
internal sealed class ConsumerWorker<TKey, TValue> : IOffsetCommitter
{
    private readonly ConsumerSettings<TKey, TValue> _settings;
    private readonly IReadOnlyList<string> _topics;
    private readonly ConcurrentQueue<CommittableMessage<TKey, TValue>> _buffer = new();
    private readonly ConcurrentQueue<CommitRequest> _commitRequests = new();
    private static readonly TimeSpan CommittedTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<TopicPartition, AssignedPartition> _assigned = new();

    /// <summary>Per partition, the highest offset handed out downstream (written by the stream's thread).</summary>
    private readonly ConcurrentDictionary<TopicPartition, StrongBox<long>> _handedOut = new();

    /// <summary>Partitions being revoked, whose records are no longer handed out.</summary>
    private readonly ConcurrentDictionary<TopicPartition, bool> _revoking = new();

    /// <summary>Per partition, the highest offset whose commit was requested under the current assignment.</summary>
    private readonly Dictionary<TopicPartition, long> _requestedThrough = [];

    private static readonly TimeSpan RevokeDrainPoll = TimeSpan.FromMilliseconds(10);

    /// <summary>Per partition, the position to commit that a retriable failure left uncommitted, and its epoch.</summary>
    private readonly Dictionary<TopicPartition, (long Next, long Epoch)> _uncommitted = [];
    private readonly Action<IClient, LogMessage> _log;
    private readonly ILogger _logger = KafkaLog.Logger("ActorVisits.Kafka.Consumer");
    private DateTime? _commitsFailingSince;
    private DateTime _nextLagMeasure;

    /// <summary>Per assigned partition, the position last committed by this consumer (or found committed when assigned).</summary>
    private readonly Dictionary<TopicPartition, long> _committedPositions = [];
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);
    private DateTime _nextCommitRetry;
    private readonly HashSet<TopicPartition> _paused = [];

    /// <summary>Set when a record is taken from a full buffer, or consuming stops: wakes a thread holding its polls.</summary>
    private readonly ManualResetEventSlim _wake = new(false);

    /// <summary>
    /// Since when the buffer has been full without falling to half, and downstream has taken less than a buffer's worth
    /// of records; null while it is not full.
    /// </summary>
    private DateTime? _fullSince;

    /// <summary>Records (and their bytes) taken from the buffer (or dropped from it) when <see cref="_fullSince"/> was set.</summary>
    private long _takenWhenFull;
    private long _takenBytesWhenFull;

    /// <summary>Records (and their bytes) this thread put in the buffer, ever.</summary>
    private long _enqueued;
    private long _enqueuedBytes;
    private readonly Dictionary<TopicPartition, long> _nextOffsets = [];

    /// <summary>The group generation in which this consumer last gave each partition up (revoked or lost).</summary>
    private readonly Dictionary<TopicPartition, int> _releasedInGeneration = [];

    /// <summary>The latest group generation this consumer knew at a rebalance (-1: none yet).</summary>
    private int _lastGeneration = -1;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private IConsumer<TKey, TValue>? _consumer;
    private Action _recordsAvailable = () => { };
    private Action<Exception> _failed = _ => { };
    private long _nextEpoch;
    private int _buffered;
    private long _bufferedBytes;
    private volatile bool _stopConsuming;
    private volatile bool _shutdown;

    /// <summary>
    /// What a rebalance handler threw (kept by <see cref="Guarded{T}"/>), or a commit error the poll loop met with no
    /// request to answer (<see cref="ServeCommits"/>); thrown by the poll loop.
    /// </summary>
    private Exception? _handlerFailure;

    /// <summary>Set when the poll loop failed: the close that follows commits nothing more.</summary>
    private bool _failing;

    // Closing: what was processed has been committed (or cannot be any more), so revoking waits for nothing.
    private bool _closing;

    public ConsumerWorker(ConsumerSettings<TKey, TValue> settings, IReadOnlyList<string> topics)
    {
        _settings = settings;
        _topics = topics;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-consumer-{settings.GroupId}" };
        _log = KafkaLog.For(settings.Config);
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
            // The consumer thread holds its polls while the buffer is full: room for one more wakes it.
            var records = Interlocked.Decrement(ref _buffered);
            var bytes = Interlocked.Add(ref _bufferedBytes, -message.BufferedBytes);
            if (IsFull(records + 1, bytes + message.BufferedBytes) && !IsFull(records, bytes))
                _wake.Set();
            // A partition being revoked hands out nothing more: its next owner reads the rest.
            if (IsCurrent(message.TopicPartition, message.AssignmentEpoch) && !_revoking.ContainsKey(message.TopicPartition))
            {
                Volatile.Write(ref _handedOut.GetOrAdd(message.TopicPartition, _ => new StrongBox<long>(-1)).Value, message.Record.Offset.Value);
                // Revoked in between (the worker forgot the partition after the check above): the entry just written
                // would outlive the assignment and make a later revocation wait its full drain for a record long gone.
                // Records are taken in order, so no record of a newer assignment has been handed out before this one.
                if (IsCurrent(message.TopicPartition, message.AssignmentEpoch))
                    return true;
                _handedOut.TryRemove(message.TopicPartition, out _);
            }
        }
        return false;
    }

    /// <summary>Stops handing out records (all partitions paused) but keeps the consumer in its group to serve commits.</summary>
    public void StopConsuming()
    {
        _stopConsuming = true;
        _wake.Set();
    }

    /// <summary>Serves the pending commits, then leaves the group and closes the consumer.</summary>
    public Task ShutdownAsync()
    {
        _stopConsuming = true;
        _shutdown = true;
        _wake.Set();
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
                .SetPartitionsAssignedHandler((_, partitions) => Guarded(() => OnAssigned(partitions).ToList(),
                    // The assignment is taken as it is (librdkafka waits for it), and the loop then fails the stream.
                    () => partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset)).ToList()))
                .SetPartitionsRevokedHandler((_, partitions) => Guarded(() => OnRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: false)))
                .SetPartitionsLostHandler((_, partitions) => Guarded(() => OnRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: true)))
                .SetLogHandler(_log)
                .Build();
            _consumer = consumer;
            // Records are read through librdkafka's own poll on this consumer's handle: the same results and errors as
            // its Consume, with about half the objects per record (NativeConsume).
            var reader = new NativeConsume<TKey, TValue>(consumer, _settings.KeyDeserializer, _settings.ValueDeserializer);
            var pollTimeoutMs = (int)Math.Ceiling(_settings.PollTimeout.TotalMilliseconds);
            consumer.Subscribe(_topics);
            try
            {
                Consume(reader, pollTimeoutMs);
            }
            catch
            {
                // Leaves the group before the consumer is disposed: disposed in the middle of a rebalance, librdkafka's
                // destroy waits for an assign that never comes. Nothing is drained: the stream is failing.
                _failing = true;
                CloseQuietly(consumer, reader);
                throw;
            }
            ServeCommits();
            CommitBeforeClosing();
            _closing = true;
            ReleasePartitions(consumer, reader);
            consumer.Close();
            _consumer = null;
            // The revocation Close served failed: the stream ends with its reason, not as a clean close.
            ThrowIfHandlerFailed();
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

    private void Consume(NativeConsume<TKey, TValue> reader, int pollTimeoutMs)
    {
        while (!_shutdown)
        {
            // A rebalance handler failed inside the last poll (a refused rewind): the stream ends with its reason.
            ThrowIfHandlerFailed();
            ServeCommits(failUnanswered: true);
            ApplyFlowControl();
            MeasureLag();
            if (HoldingPolls())
                continue;
            ConsumeResult<TKey, TValue>? record;
            try
            {
                record = reader.Consume(pollTimeoutMs);
            }
            catch (ConsumeException e) when (IsTransient(e))
            {
                // librdkafka retries the fetch itself (a request timed out, a broker gone, leadership moving): the
                // partition resumes where it was. Reported, counted, never a reason to stop.
                Metrics.AddConsumeError(e.Error);
                Warn("CONSUME", $"{e.Error.Reason} ({e.Error.Code}); librdkafka retries, consuming goes on");
                continue;
            }
            catch (ConsumeException e)
            {
                // A record that cannot be deserialized, or an error no retry cures (authorization, a missing topic):
                // fail loudly, never skip silently.
                throw new KafkaConsumeFailedException(e);
            }
            // Before its record is handed out.
            ThrowIfHandlerFailed();
            if (record is null || record.IsPartitionEOF)
                continue;
            Enqueue(record, reader.LastRecordBytes);
        }
        // A failure in the poll that a shutdown followed, whose record was an error event.
        ThrowIfHandlerFailed();
    }

    private void ThrowIfHandlerFailed()
    {
        if (_handlerFailure is { } failure)
            ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Runs a rebalance handler so that it never throws into Confluent.Kafka: there a throwing handler skips the assign
    /// or unassign librdkafka waits for, after which neither closing nor destroying the consumer returns (a refused
    /// rewind hung its thread in rd_kafka_destroy for good). The first failure is kept and thrown by the poll loop.
    /// </summary>
    private T Guarded<T>(Func<T> handler, Func<T> instead)
    {
        try
        {
            return handler();
        }
        catch (Exception e)
        {
            _handlerFailure ??= e;
            return instead();
        }
    }

    private void Guarded(Action handler)
    {
        try
        {
            handler();
        }
        catch (Exception e)
        {
            _handlerFailure ??= e;
        }
    }

    /// <summary>
    /// Gives every partition up before Close (<see cref="GroupExit"/>), for up to the revoke drain plus a margin; a
    /// failure of Confluent.Kafka's own (un)assign meanwhile is reported once closed.
    /// </summary>
    private void ReleasePartitions(IConsumer<TKey, TValue> consumer, NativeConsume<TKey, TValue> reader) =>
        GroupExit.ReleasePartitions(consumer, () => reader.Consume(ReleasePollMs), _settings.RevokeDrainTimeout + ReleaseMargin, e => _handlerFailure ??= e);

    private static readonly TimeSpan ReleaseMargin = TimeSpan.FromSeconds(5);
    private const int ReleasePollMs = 50;

    /// <summary>Closes a consumer whose loop failed; a second failure while closing must not hide the first.</summary>
    private void CloseQuietly(IConsumer<TKey, TValue> consumer, NativeConsume<TKey, TValue> reader)
    {
        try
        {
            ReleasePartitions(consumer, reader);
            consumer.Close();
        }
        catch (Exception e)
        {
            Warn("CLOSE", $"Closing after a failure failed too: {e.Message}");
        }
    }

    /// <summary>The partition of the last record read, kept: records come in runs of one partition.</summary>
    private TopicPartition? _lastPartition;

    /// <summary>
    /// <paramref name="record"/>'s partition, the same object for a run of records of one partition
    /// (<see cref="ConsumeResult{TKey,TValue}.TopicPartition"/> makes a new one on every read).
    /// </summary>
    private TopicPartition PartitionOf(ConsumeResult<TKey, TValue> record)
    {
        if (_lastPartition is { } last && last.Partition == record.Partition && string.Equals(last.Topic, record.Topic, StringComparison.Ordinal))
            return last;
        return _lastPartition = record.TopicPartition;
    }

    private void Enqueue(ConsumeResult<TKey, TValue> record, int bytes)
    {
        var partition = PartitionOf(record);
        if (!_assigned.TryGetValue(partition, out var assigned))
            return;
        ref var next = ref CollectionsMarshal.GetValueRefOrAddDefault(_nextOffsets, partition, out var known);
        if (known && record.Offset.Value < next)
        {
            // Read again within one assignment (before where it started, or before a record already handed out): its
            // visit is counted already, by the rebuild or live. Handing it out again would count it twice.
            Metrics.AddReadAgain();
            // Unless the log itself went back (recreated, or truncated by an unclean leader election): then these are new
            // records under old offsets, which only an operator can tell apart. Say so, and what to do.
            var end = _consumer!.GetWatermarkOffsets(partition).High;
            if (!end.IsSpecial && end.Value < next)
                Warn("LOGRESET", $"{partition}: the log ends at offset {end.Value}, before offset {next} this group had reached: the partition was recreated or truncated. " +
                                 $"Its records before offset {next} are dropped as read again; to count them, stop every member and reset the partition's offset (actorvisits offsets -g {_settings.GroupId} -t {partition.Topic} -p {partition.Partition.Value} --reset earliest)");
            else
                Warn("READAGAIN", $"{partition}: records before offset {next} delivered again within one assignment; dropped, not counted twice");
            return;
        }
        next = record.Offset.Value + 1;
        _enqueued++;
        _enqueuedBytes += bytes;
        _buffer.Enqueue(new CommittableMessage<TKey, TValue>(record, partition, assigned.Epoch, this) { BufferedBytes = bytes });
        Metrics.ObserveBufferedBytes(Interlocked.Add(ref _bufferedBytes, bytes));
        var buffered = Interlocked.Increment(ref _buffered);
        Metrics.ObserveBuffered(buffered);
        if (buffered == 1)
            _recordsAvailable();
    }

    /// <summary>
    /// While the buffer is full and the partitions are not paused, waits (up to a poll time-out) for room instead of
    /// polling: librdkafka keeps what it prefetched, and its queue (queued.max.messages.kbytes) stops its fetches.
    /// </summary>
    private bool HoldingPolls()
    {
        if (_paused.Count > 0 || _stopConsuming)
            return false;
        _wake.Reset();
        // Checked after the reset: a record taken from now on sets the event again, so the wait cannot miss it.
        if (!IsFull(Volatile.Read(ref _buffered), Interlocked.Read(ref _bufferedBytes)))
            return false;
        _wake.Wait(_settings.PollTimeout);
        return true;
    }

    /// <summary>
    /// Pauses every assigned partition once the buffer has stayed full (not fallen to half) for
    /// <see cref="ConsumerSettings{TKey,TValue}.PauseWhenFullFor"/> while downstream took less than a buffer's worth
    /// of records (stuck, or nearly), or consuming stopped; resumes below half. A shorter stall only holds the polls
    /// (<see cref="HoldingPolls"/>), and so does a downstream that keeps taking at its full speed: pausing drops
    /// librdkafka's prefetch (up to queued.max.messages.kbytes), fetched again on resume, which at high rates made
    /// the consumer fall further behind (docs/benchmarks.md, run 14b). Pausing is still needed when downstream is
    /// stuck: group events (a rebalance) queue behind the prefetched records, and a pause drops them so that the
    /// events are served; behind a downstream that takes a buffer's worth per delay they wait at most (prefetch /
    /// buffer) delays. On resume each partition is sought to the offset after the last record this worker buffered,
    /// rather than left to librdkafka's own resume position, which was seen to skip records and stall under frequent
    /// pause/resume (CompletenessTests).
    /// </summary>
    private void ApplyFlowControl()
    {
        var consumer = _consumer!;
        var buffered = Volatile.Read(ref _buffered);
        var bufferedBytes = Interlocked.Read(ref _bufferedBytes);
        var taken = _enqueued - buffered;
        var takenBytes = _enqueuedBytes - bufferedBytes;
        var now = DateTime.UtcNow;
        if (IsFull(buffered, bufferedBytes))
        {
            if (_fullSince is null)
                (_fullSince, _takenWhenFull, _takenBytesWhenFull) = (now, taken, takenBytes);
        }
        else if (IsHalfEmpty(buffered, bufferedBytes))
            _fullSince = null;
        // Full all along (a record or two short at times, refilled at once), but a buffer's worth went downstream
        // meanwhile: busy, not stuck. Watch the next period.
        if (_fullSince is { } since && now - since >= _settings.PauseWhenFullFor
            && (taken - _takenWhenFull >= _settings.MaxBufferedRecords || takenBytes - _takenBytesWhenFull >= _settings.MaxBufferedBytes))
            (_fullSince, _takenWhenFull, _takenBytesWhenFull) = (now, taken, takenBytes);
        if (_stopConsuming || (_fullSince is { } fullSince && now - fullSince >= _settings.PauseWhenFullFor))
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
        else if (_paused.Count > 0 && IsHalfEmpty(buffered, bufferedBytes))
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

    /// <summary>The buffer holds its most records or bytes: the consumer stops polling.</summary>
    private bool IsFull(int records, long bytes) => records >= _settings.MaxBufferedRecords || bytes >= _settings.MaxBufferedBytes;

    /// <summary>Drained to half, in records and in bytes: a pause ends, a full spell is over.</summary>
    private bool IsHalfEmpty(int records, long bytes) => records <= _settings.MaxBufferedRecords / 2 && bytes <= _settings.MaxBufferedBytes / 2;

    /// <summary>
    /// Takes newly assigned partitions under a new epoch each; returns where each starts: at its committed offset, or
    /// at its beginning on the first assignment of a consumer that rewinds its group (<see cref="ConsumerSettings{TKey,TValue}.FromBeginning"/>).
    /// </summary>
    private IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        var rewind = _settings.FromBeginning && !Metrics.Joined;
        if (rewind)
            RefuseUnlessSoleMember(partitions);
        var committed = rewind ? partitions.ToDictionary(p => p, _ => (long?)0) : CommittedOffsets(partitions);
        var unknown = committed is null;
        committed ??= [];
        if (unknown && partitions.Count > 0)
            Warn("ASSIGN", $"The committed offsets of {Describe(partitions)} could not be read; each resumes where librdkafka finds it, known from its first record");
        var generation = NoteGeneration();
        foreach (var partition in partitions)
        {
            var start = committed.GetValueOrDefault(partition);
            var heldJustBefore = generation > 0 && ClassicProtocol && _releasedInGeneration.TryGetValue(partition, out var released) && released == generation - 1;
            _assigned[partition] = new AssignedPartition(partition, Interlocked.Increment(ref _nextEpoch), start, generation, unknown, heldJustBefore);
            // Where the assignment starts, when known: a record before it is dropped, and a partition paused before its
            // first record resumes there rather than at librdkafka's prefetch position.
            if (!rewind && start is { } offset)
                _nextOffsets[partition] = offset;
            else
                _nextOffsets.Remove(partition);
        }
        Metrics.Rebalances++;
        Metrics.Joined = true;
        Metrics.InGroup = true;
        if (partitions.Count > 0)
            Info("ASSIGN", $"Assigned {Describe(partitions)} in group generation {generation}{(rewind ? ", each from its beginning (--from-beginning)" : "")}");
        // Each partition starts exactly at the committed offset read above, the one its assignment (and so its rebuild)
        // is based on: left to librdkafka (Offset.Unset), its own later fetch of the committed offsets could see another
        // commit land in between, and records would be replayed and consumed twice, or neither.
        return partitions.Select(p => new TopicPartitionOffset(p,
            rewind ? Offset.Beginning : committed.GetValueOrDefault(p) is { } offset ? new Offset(offset) : Offset.Unset));
    }

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        string.Join(", ", partitions.GroupBy(p => p.Topic).Select(t => $"{t.Key}[{string.Join(",", t.Select(p => p.Partition.Value).Order())}]"));

    /// <summary>Rewinding a group is refused while it has other members: they would keep their partitions and commits.</summary>
    private void RefuseUnlessSoleMember(List<TopicPartition> partitions)
    {
        using var admin = new DependentAdminClientBuilder(_consumer!.Handle).Build();
        var total = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => _topics.Contains(t.Topic)).Sum(t => t.Partitions.Count);
        if (partitions.Count < total)
            throw new Admin.ActiveMembersException(_settings.GroupId,
                $"joining it was given {partitions.Count} of {total} partitions, so it cannot be rewound from here; stop its other consumers first");
    }

    /// <summary>
    /// Once a second, each assigned partition's lag: records between the last committed position and the end of the
    /// partition as the last fetch saw it (librdkafka's cached high watermark; no request is sent).
    /// </summary>
    private void MeasureLag()
    {
        var now = DateTime.UtcNow;
        if (now < _nextLagMeasure)
            return;
        _nextLagMeasure = now + LagInterval;
        var lags = new Dictionary<TopicPartition, long>();
        foreach (var (partition, assignment) in _assigned)
        {
            var high = _consumer!.GetWatermarkOffsets(partition).High;
            if (high.IsSpecial)
                continue;
            var committed = _committedPositions.TryGetValue(partition, out var position) ? position : assignment.CommittedOffset;
            if (committed is { } from)
                lags[partition] = Math.Max(0, high.Value - from);
        }
        Metrics.Lags = lags;
    }

    /// <summary>The group generation now (-1 when unknown), kept as <see cref="_lastGeneration"/> when known.</summary>
    private int NoteGeneration()
    {
        var generation = GroupGeneration(_consumer!);
        if (generation >= 0)
            _lastGeneration = generation;
        return generation;
    }

    /// <summary>Generations count the group's rebalances in the classic protocol only (KIP-848's are per-member epochs).</summary>
    private bool ClassicProtocol => _settings.Config.Get("group.protocol") is null or "classic";

    /// <summary>The group generation this consumer is a member of, as librdkafka knows it now; -1 when unknown.</summary>
    private static int GroupGeneration(IConsumer<TKey, TValue> consumer)
    {
        var metadata = Librdkafka.rd_kafka_consumer_group_metadata(Librdkafka.RawHandle(consumer));
        if (metadata == IntPtr.Zero)
            return -1;
        try
        {
            return Librdkafka.rd_kafka_consumer_group_metadata_generation_id(metadata);
        }
        finally
        {
            Librdkafka.rd_kafka_consumer_group_metadata_destroy(metadata);
            GC.KeepAlive(consumer);
        }
    }

    /// <summary>The group's committed offsets of newly assigned partitions (null for one without); null when they cannot be read.</summary>
    private Dictionary<TopicPartition, long?>? CommittedOffsets(List<TopicPartition> partitions)
    {
        try
        {
            return _consumer!.Committed(partitions, CommittedTimeout)
                .ToDictionary(p => p.TopicPartition, p => p.Offset.IsSpecial ? (long?)null : p.Offset.Value);
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    private void OnRevoked(IReadOnlyCollection<TopicPartition> partitions, bool lost)
    {
        if (partitions.Count > 0)
            Info(lost ? "LOST" : "REVOKE", $"{(lost ? "Lost" : "Revoked")} {Describe(partitions)}");
        // A member whose partitions are lost may no longer know its generation: the last one it knew is when it held them.
        NoteGeneration();
        foreach (var partition in partitions)
            _releasedInGeneration[partition] = _lastGeneration;
        // Lost partitions are someone else's already; a failing stream commits nothing more; a closing consumer has
        // served its last commits (a graceful stop drained the stream first; an abandoned one has nothing to wait for).
        if (!lost && !_failing && !_closing)
            DrainRevoked(partitions);
        // librdkafka keeps an application pause across unassignment: a partition revoked while paused for backpressure
        // would come back paused, and nothing here would resume it (it is no longer among the paused ones). Resumed as
        // it leaves; if the buffer is still full when it returns, it is paused again like any assigned partition.
        var pausedGone = partitions.Where(_paused.Contains).ToList();
        foreach (var partition in partitions)
        {
            _assigned.TryRemove(partition, out _);
            _revoking.TryRemove(partition, out _);
            _handedOut.TryRemove(partition, out _);
            _requestedThrough.Remove(partition);
            _committedPositions.Remove(partition);
            _paused.Remove(partition);
            _nextOffsets.Remove(partition);
        }
        if (lost)
        {
            Metrics.InGroup = false;
            Metrics.LostAssignments++;
        }
        Metrics.Rebalances++;
        if (pausedGone.Count > 0)
            _consumer!.Resume(pausedGone);
    }

    /// <summary>
    /// Before giving partitions up, as Kafka Streams commits a task before its revocation completes: hands out nothing
    /// more of them, waits (up to <see cref="ConsumerSettings{TKey,TValue}.RevokeDrainTimeout"/>) until every record
    /// already handed out has been processed and its commit requested, and commits, serving commits meanwhile. Their
    /// next owner then starts where this member stopped, instead of reading its in-flight records again. Records
    /// still in flight at the deadline are read again by the next owner (at-least-once).
    /// </summary>
    private void DrainRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
            _revoking[partition] = true;
        var deadline = DateTime.UtcNow + _settings.RevokeDrainTimeout;
        while (!partitions.All(p => !_handedOut.TryGetValue(p, out var handedOut) || Volatile.Read(ref handedOut.Value) <= _requestedThrough.GetValueOrDefault(p, -1))
               && DateTime.UtcNow < deadline)
        {
            ServeCommits();
            Thread.Sleep(RevokeDrainPoll);
        }
        ServeCommits(retryNow: true);
    }

    /// <summary>
    /// Commits what the requests ask (for each partition, the position after its highest offset) together with what a
    /// retriable failure left uncommitted. A request completes once its offsets are committed, discarded (their
    /// partition was revoked: the new owner reads them again), or kept for a retry after a retriable failure: it does
    /// not hold the stream back while the coordinator is away. It fails once commits have failed for longer than
    /// <see cref="ConsumerSettings{TKey,TValue}.CommitRetryFor"/>, or for a reason no retry cures.
    /// </summary>
    /// <param name="failUnanswered">
    /// From the poll loop only: an error with no request to answer ends the stream. A revocation's final commit and the
    /// graceful stop's leave theirs to the next request or to the closing warning (at-least-once: the records are read
    /// again), as a rebalance or a stop that goes on must not fail for positions the next owner reads anyway.
    /// </param>
    private void ServeCommits(bool retryNow = false, bool failUnanswered = false)
    {
        // Made only when there is a request: this runs on every turn of the poll loop.
        List<CommitRequest>? requests = null;
        var discarded = 0;
        while (_commitRequests.TryDequeue(out var request))
        {
            (requests ??= []).Add(request);
            foreach (var offset in request.Offsets)
            {
                if (!IsCurrent(offset.TopicPartition, offset.AssignmentEpoch))
                {
                    discarded++;
                    continue;
                }
                var next = offset.Offset.Value + 1;
                if (!_uncommitted.TryGetValue(offset.TopicPartition, out var known) || known.Epoch != offset.AssignmentEpoch || known.Next < next)
                    _uncommitted[offset.TopicPartition] = (next, offset.AssignmentEpoch);
                _requestedThrough[offset.TopicPartition] = Math.Max(_requestedThrough.GetValueOrDefault(offset.TopicPartition, -1), next - 1);
            }
        }
        if (discarded > 0)
            Metrics.AddCommitted(0, discarded);
        // After a refusal, new requests wait for the retry time too: each attempt may block this thread (a commit
        // waits for a coordinator that is down), and the committer asks every 200 ms.
        if (_uncommitted.Count == 0 || (!retryNow && DateTime.UtcNow < _nextCommitRetry))
        {
            Complete(requests, null);
            return;
        }
        var error = TryCommit();
        // A retry with no request waiting (the input went idle while the coordinator was away; the final commit of a
        // revocation) has nobody to hand its error to: the poll loop ends the stream with it instead of retrying quietly.
        if (error is not null && requests is null && failUnanswered)
            _handlerFailure ??= error;
        Complete(requests, error);
    }

    /// <summary>Commits every uncommitted position still assigned; returns the error that ends the stream, if any.</summary>
    private Exception? TryCommit()
    {
        foreach (var revoked in _uncommitted.Keys.Where(p => !IsCurrent(p, _uncommitted[p].Epoch)).ToList())
        {
            _uncommitted.Remove(revoked);
            Metrics.AddCommitted(0, 1);
        }
        if (_uncommitted.Count == 0)
            return null;
        var positions = _uncommitted.Select(p => new TopicPartitionOffset(p.Key, p.Value.Next)).ToList();
        try
        {
            _consumer!.Commit(positions);
            Metrics.AddCommitted(positions.Count, 0);
            foreach (var position in positions)
                _committedPositions[position.TopicPartition] = position.Offset.Value;
            _uncommitted.Clear();
            if (_commitsFailingSince is { } since)
                Warn("COMMIT", $"commits succeed again after {(DateTime.UtcNow - since).TotalSeconds:0.0} s of failures");
            _commitsFailingSince = null;
            return null;
        }
        catch (KafkaException e) when (CommitErrorCode(e) is var code && (IsRebalanceError(code) || IsRetriableCommitError(code)))
        {
            if (IsRebalanceError(code))
            {
                // The group is rebalancing. The positions stay, to be committed once it settles for the partitions this
                // member keeps (incremental rebalancing keeps most); those it loses are dropped then (at-least-once: their
                // new owner reads the uncommitted records again).
                _nextCommitRetry = DateTime.UtcNow + CommitRetryInterval;
                // Not a failure of the stream, but said (once per 10 s): a rebalance that never settles commits nothing.
                Warn("COMMIT", $"commit refused while the group rebalances ({e.Error.Reason}, {e.Error.Code}); kept and retried once it settles");
                return null;
            }
            var now = DateTime.UtcNow;
            _commitsFailingSince ??= now;
            _nextCommitRetry = now + CommitRetryInterval;
            Metrics.AddCommitFailure();
            var reason = code == e.Error.Code ? e.Error.Reason : new Error(code).Reason;
            if (now - _commitsFailingSince.Value > _settings.CommitRetryFor)
                return new KafkaException(new Error(code,
                    $"Commits have failed for {(now - _commitsFailingSince.Value).TotalSeconds:0} s (longer than commit-retry-for, {_settings.CommitRetryFor.TotalSeconds:0} s), last with: {reason}"), e);
            Warn("COMMIT", $"commit refused ({reason}, {code}); kept and retried for up to {_settings.CommitRetryFor.TotalSeconds:0} s");
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>On a graceful stop, the positions a retriable failure left uncommitted get a last chance before the consumer closes.</summary>
    private void CommitBeforeClosing()
    {
        var deadline = DateTime.UtcNow + _settings.CloseCommitTimeout;
        while (_uncommitted.Count > 0 && TryCommit() is null && _uncommitted.Count > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(CommitRetryInterval);
        if (_uncommitted.Count > 0)
            Warn("COMMIT", $"{_uncommitted.Count} partition positions could not be committed before closing; their records will be read again (at-least-once)");
    }

    private static void Complete(List<CommitRequest>? requests, Exception? error)
    {
        if (requests is null)
            return;
        foreach (var request in requests)
        {
            if (error is null)
                request.Done.TrySetResult();
            else
                request.Done.TrySetException(error);
        }
    }

    /// <summary>A change an operator wants to see in the log (assignments), whatever librdkafka's own log level.</summary>
    private void Info(string facility, string message) =>
        _logger.LogInformation("Group {GroupId} {Facility}: {Message}", _settings.GroupId, facility, message);

    /// <summary>A problem ridden through; a line that repeats is written once per 10 s, as librdkafka's are.</summary>
    private void Warn(string facility, string message) =>
        _log(_consumer!, new LogMessage($"consumer {_settings.GroupId}", SyslogLevel.Warning, facility, message));

    public bool TryGetAssignment(TopicPartition partition, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AssignedPartition? assignment) =>
        _assigned.TryGetValue(partition, out assignment);

    /// <summary>The partition is still assigned under <paramref name="epoch"/>.</summary>
    public bool IsAssigned(TopicPartition partition, long epoch) => IsCurrent(partition, epoch);

    private bool IsCurrent(TopicPartition partition, long epoch) => _assigned.TryGetValue(partition, out var assigned) && assigned.Epoch == epoch;

    /// <summary>How often a commit refused for a retriable reason is tried again.</summary>
    private static readonly TimeSpan CommitRetryInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A consume error librdkafka recovers from by itself (it retries fetches, rediscovers leaders and coordinators),
    /// as opposed to one that needs a person (<see cref="ConsumeErrors.NoRetryCures"/>) or a record that cannot be
    /// deserialized.
    /// </summary>
    private bool IsTransient(ConsumeException e) =>
        !ConsumeErrors.NoRetryCures(e.Error, _assigned.IsEmpty)
        && e.Error.Code is not (ErrorCode.Local_KeyDeserialization or ErrorCode.Local_ValueDeserialization);

    /// <summary>
    /// A commit refused because the coordinator is unreachable, moving, loading or slow, or does not know the topic
    /// yet (its metadata lags a topic just made; librdkafka retries that only twice): trying again later can succeed.
    /// </summary>
    private static bool IsRetriableCommitError(ErrorCode code) =>
        code is ErrorCode.Local_WaitCoord or ErrorCode.GroupCoordinatorNotAvailable or ErrorCode.NotCoordinatorForGroup
            or ErrorCode.GroupLoadInProgress or ErrorCode.RequestTimedOut or ErrorCode.Local_TimedOut
            or ErrorCode.Local_Transport or ErrorCode.NetworkException or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Retry
            or ErrorCode.Local_TimedOutQueue or ErrorCode.UnknownTopicOrPart;

    /// <summary>
    /// The commit's error; for one refused partition by partition, the partitions' error that decides: one that no
    /// retry cures if any partition has one, else the first.
    /// </summary>
    private static ErrorCode CommitErrorCode(KafkaException e) =>
        e is TopicPartitionOffsetException { Results: { } results } && results.Where(r => r.Error.IsError).Select(r => r.Error.Code).ToList() is { Count: > 0 } codes
            ? codes.FirstOrDefault(code => !IsRetriableCommitError(code) && !IsRebalanceError(code), codes[0])
            : e.Error.Code;

    /// <summary>A commit refused because the group moved on (classic protocol) or the member's epoch did (KIP-848's).</summary>
    private static bool IsRebalanceError(ErrorCode code) =>
        code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId
            or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost or ErrorCode.StaleMemberEpoch or ErrorCode.FencedMemberEpoch;

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
