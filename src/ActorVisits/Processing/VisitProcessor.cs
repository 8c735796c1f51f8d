using ActorVisits.Kafka;
using ActorVisits.Kafka.Settings;
using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Entities;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Processing;

/// <summary>
/// The windowed processor: committable source of visits → validation (dead letters) → the partition actor of the
/// visit's partition (ask, in order per partition; visits that wait while all asks are busy go together in one) → every
/// window update produced, keyed by URL, with acks=all → the visit's offset committed once all its updates are
/// acknowledged. A wall-clock tick, merged into the same stream, lets
/// idle partitions' counts decay. Backpressure holds end to end: the source pauses when asks or deliveries lag.
/// On an Akka cluster (<c>clustered</c>) the URL actors are sharded entities in this node's shards of the partitions its
/// consumer is assigned (<see cref="UrlSharding"/>); the stream is the same.
/// </summary>
public sealed class VisitProcessor
{
    private readonly ProcessorSettings _settings;
    private readonly TimeProvider _clock;
    private readonly PartitionRegistry _partitions;
    private readonly PartitionEnds _ends;
    private readonly IActorRefProvider _provider;

    /// <summary>The URLs read lately, so that each visit of a URL reuses its string (used by the stage that validates, one batch at a time).</summary>
    private readonly UrlStrings _urls = new();

    /// <summary>
    /// Where a partition without a committed offset starts, if known before its first record: offset 0, at or before
    /// its log start (nothing to rebuild), unless the group starts at the end, known only from the first record.
    /// </summary>
    private readonly long? _startWithoutCommit;

    private VisitProcessor(ActorSystem system, KafkaSettings kafka, ProcessorSettings settings, TimeProvider clock, bool clustered, UrlActorCount? urlActors)
    {
        _settings = settings;
        _clock = clock;
        _provider = ((ExtendedActorSystem)system).Provider;
        _startWithoutCommit = CountingStartFrom(settings) == AutoOffsetReset.Earliest ? 0 : null;
        var local = new LocalPartitions();
        var sharded = clustered ? new ShardedUrls(system, local, settings) : null;
        _partitions = new PartitionRegistry(system, settings, new PartitionRebuild(kafka, settings, Metrics), sharded, local, urlActors,
            (partition, epoch) => Control.TryGetAssignment(partition, out var assignment) && assignment.Epoch == epoch ? assignment : null,
            _produced);
        Queries = new UrlQueries(kafka, settings, local, sharded);
        _ends = new PartitionEnds(kafka, clock);
    }

    public ProcessorMetrics Metrics { get; } = new();

    /// <summary>Per partition, how far this process produced every output of the records and had it acknowledged, whatever the assignment.</summary>
    private readonly ProducedMarks _produced = new();

    /// <summary>Live counts of one URL, from this process or (on a cluster) from whichever node owns the URL's partition.</summary>
    public UrlQueries Queries { get; }

    /// <summary>The consumer's control: <c>DrainAndShutdownAsync(Completion)</c> is the graceful stop.</summary>
    public IConsumerControl Control { get; private set; } = null!;

    /// <summary>Completes after the last commit once the stream has drained, or fails with the stream's error.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>With <c>repartition = on</c>, the stream that re-keys the input by URL ahead of the counting one.</summary>
    private (IConsumerControl Control, Task Completion)? _repartitioning;

    /// <summary>Completes when a stream stops: an error, since they run until told to stop.</summary>
    public Task AnyStopped => _repartitioning is { } repartitioning ? Task.WhenAny(Completion, repartitioning.Completion) : Completion;

    /// <summary>
    /// Why the processor cannot be counted on yet, or null when it can (readiness): its consumers have joined their
    /// groups and every partition assigned to it has been rebuilt.
    /// </summary>
    public string? NotReadyBecause()
    {
        if (AnyStopped.IsCompleted)
            return Error is { } error ? $"stopped on error: {error.Message}" : "stopped";
        if (NotMember(Control, "consumer", _settings.CountingGroupId) is { } counting)
            return counting;
        if (_repartitioning is { } repartitioning && NotMember(repartitioning.Control, "re-keying consumer", _settings.GroupId) is { } rekeying)
            return rekeying;
        var pending = Partitions().Where(p => !p.Rebuilt).Select(p => p.Partition).ToList();
        return pending.Count == 0 ? null : $"partitions {string.Join(", ", pending)} are being rebuilt";
    }

    /// <summary>Why a consumer is not a member of its group now (not joined yet, or dropped with its partitions lost); null when it is.</summary>
    private static string? NotMember(IConsumerControl consumer, string which, string group) =>
        !consumer.Metrics.Joined ? $"the {which} has not joined group '{group}' yet"
        : !consumer.Metrics.InGroup ? $"the {which} lost its partitions and has not rejoined group '{group}' yet"
        : null;

    /// <summary>
    /// The partitions assigned to this process now: whether each is rebuilt, its group generation and lag. One that
    /// resumes where only its first record tells (no commit and <c>start-from = latest</c>, or a commit that could not be
    /// read) has nothing to rebuild until that record comes: idle, it must not hold readiness back for good.
    /// </summary>
    public IReadOnlyList<PartitionStatus> Partitions()
    {
        var handles = _partitions.Handles.ToDictionary(h => h.Partition);
        var lags = Control.Metrics.Lags;
        return Control.AssignedPartitions.OrderBy(a => a.Partition.Partition.Value).Select(a => new PartitionStatus(
            a.Partition.Partition.Value,
            a.Generation,
            handles.TryGetValue(a.Partition, out var handle)
                ? handle.Epoch == a.Epoch && handle.Ready.IsCompletedSuccessfully
                : ResumeAt(a) is null,
            lags.TryGetValue(a.Partition, out var lag) ? lag : null)).ToList();
    }

    /// <summary>
    /// The offset an assignment resumes at, when known before its first record: its committed offset, or the log start
    /// for a group without one that starts from the earliest. Null where only the first record tells (a committed offset
    /// that could not be read, or no commit and <c>start-from = latest</c>).
    /// </summary>
    private long? ResumeAt(AssignedPartition assignment) =>
        assignment.CommittedUnknown ? null : assignment.CommittedOffset ?? _startWithoutCommit;

    /// <summary>The controls of this processor's consumers: the counting one, and the re-keying one with <c>repartition = on</c>.</summary>
    public IReadOnlyList<IConsumerControl> Consumers => _repartitioning is { } repartitioning ? [Control, repartitioning.Control] : [Control];

    /// <summary>The first error of a stream, if one failed.</summary>
    public Exception? Error => (_repartitioning?.Completion.Exception ?? Completion.Exception) is { } failure ? StreamFailure.Cause(failure) : null;

    /// <summary>
    /// The graceful stop: the re-keying stream first (what it read is produced and committed), then the counting one,
    /// each draining what it has in flight and committing it.
    /// </summary>
    public async Task DrainAndStopAsync()
    {
        if (_repartitioning is { } repartitioning)
            await repartitioning.Control.DrainAndShutdownAsync(repartitioning.Completion);
        await Control.DrainAndShutdownAsync(Completion);
    }

    /// <summary>Stops consuming at once, after an error; what was not committed is read again next time.</summary>
    public Task AbortAsync() =>
        // Both at once: the time the caller allows is for both.
        _repartitioning is { } repartitioning
            ? Task.WhenAll(repartitioning.Control.ShutdownAsync(), Control.ShutdownAsync())
            : Control.ShutdownAsync();

    /// <summary>Starts processing; the group resumes from its committed offsets (or <c>start-from</c> without any).</summary>
    public static VisitProcessor Start(ActorSystem system, KafkaSettings kafka, ProcessorSettings settings, TimeProvider? clock = null, bool clustered = false,
        UrlActorCount? urlActors = null)
    {
        var processor = new VisitProcessor(system, kafka, settings, clock ?? TimeProvider.System, clustered, urlActors);
        var materializer = system.Materializer();
        if (settings.Repartition)
            processor._repartitioning = VisitRepartitioner.Start(system, kafka, settings, processor.Metrics, processor._clock);
        // With repartition = on, a rewind is the input's (the re-keying group's): its copies are skipped when counted.
        var consumerSettings = kafka.Consumer(settings.CountingGroupId, Deserializers.ByteArray, Deserializers.ByteArray) with
        {
            FromBeginning = settings.FromBeginning && !settings.Repartition,
        };
        consumerSettings.Config.AutoOffsetReset = CountingStartFrom(settings);
        // One graph from the consumer to the committer: a pre-materialized source would put a publisher between them,
        // with a message and an enumerator per record (the async boundary below still gives the consumer an actor of
        // its own). Its control is known when the graph is materialized, before any record is read.
        var visits = KafkaConsumer.CommittableSource(consumerSettings, settings.CountingTopic).MapMaterializedValue(control =>
        {
            processor.Control = control;
            return NotUsed.Instance;
        });

        var ticks = Source.Tick(settings.TickInterval, settings.TickInterval, NotUsed.Instance)
            .Select(_ => new ProcessorBatch([], processor._clock.GetUtcNow()))
            .MapMaterializedValue(_ => NotUsed.Instance);
        processor.Completion = visits
            .Select(message =>
            {
                processor.Metrics.AddRead();
                return new ReadRecord(message, processor._clock.GetUtcNow());
            })
            .Async()
            // Records gather here only while every request slot below is busy: batches grow with the load. A record
            // counts as one visit per max-visit-bytes it weighs, so that batches of large (bad) records, with the dead
            // letters they cause, hold about as many bytes as batches of visits, not max-batch times a megabyte.
            .BatchWeighted(settings.MaxBatch, record => 1 + record.Message.BufferedBytes / settings.MaxVisitBytes, first => new List<ReadRecord>(8) { first }, (batch, next) =>
            {
                batch.Add(next);
                return batch;
            })
            .Select(batch => new ProcessorBatch(batch, default))
            // The tick source never ends: the stream completes when the visits do.
            .Merge(ticks, eagerComplete: true)
            .SelectAsync(settings.Parallelism, processor.HandleAsync)
            // Producing (three records per visit) runs on its own actor, beside the consuming and asking part.
            .Async()
            // Only the pass-through is used: no per-record delivery results.
            .Via(KafkaProducer.FlexiFlow<byte[], OutputValue, Handled>(kafka.Producer(Serializers.ByteArray, OutputValueSerializer.Instance) with { KeepDeliveryResults = false }))
            .SelectMany(results => processor.Acknowledged(results.PassThrough))
            .RunWith(Committer.Sink(kafka.Committer), materializer);
        processor.Completion.ContinueWith(_ =>
        {
            processor._partitions.StopAll();
            processor.Queries.Dispose();
            processor._ends.Dispose();
        }, TaskScheduler.Default);
        return processor;
    }

    /// <summary>Where the counting group starts without commits. Everything re-keyed is counted; where a new group starts in the input is decided by the re-keying stream.</summary>
    private static AutoOffsetReset CountingStartFrom(ProcessorSettings settings) => settings.Repartition ? AutoOffsetReset.Earliest : settings.StartFrom;

    private Task<ProducerEnvelope<byte[], OutputValue, Handled>> HandleAsync(ProcessorBatch batch) =>
        batch.Records.Count > 0 ? HandleRecordsAsync(batch.Records) : HandleTickAsync(batch.TickAt);

    /// <summary>
    /// Dead-letters the invalid records and asks each partition actor to count its visits, all partitions at once.
    /// Partition actors are looked up and asked before the first await: the registry belongs to this stage, and each
    /// partition actor must get its requests in stream order. A partition still rebuilding keeps the request until its
    /// replay is done, so its answer has no time limit until then; a failed rebuild fails the stream. Late visits are copied to the
    /// late topic; a record whose handling threw goes where <c>on-record-error</c> says.
    /// </summary>
    private async Task<ProducerEnvelope<byte[], OutputValue, Handled>> HandleRecordsAsync(IReadOnlyList<ReadRecord> records)
    {
        var outputs = new Outputs(this, new Handled(records));
        var byPartition = new Dictionary<PartitionHandle, PartitionVisits>();
        foreach (var (message, readAt) in records)
        {
            var record = message.Record;
            // Revoked since it was read: the partition's new owner reads it again; counting it here would only produce
            // updates from a state that is no longer this process's.
            var topicPartition = message.TopicPartition;
            if (!Control.IsAssigned(topicPartition, message.AssignmentEpoch))
            {
                _produced.LeftOut(topicPartition, message.AssignmentEpoch);
                continue;
            }
            PartitionHandle? partition = null;
            try
            {
                partition = _partitions.For(topicPartition, message.AssignmentEpoch, record.Offset.Value, readAt);
                partition.Read(record.Offset.Value, readAt);
                if (!VisitValidation.TryValidate(record, readAt, _settings.MaxFutureSkew, _settings.MaxVisitBytes, _urls, out var url, out var timestamp, out var rejection))
                {
                    if (!partition.ProducedAlready(record.Offset.Value))
                        outputs.Add(DeadLetter(record, rejection), partition);
                    continue;
                }
                if (!VisitValidation.IsKeyedByUrl(record.Message.Key, url))
                    Metrics.AddNotKeyedByUrl();
                // Only the repartition topic's headers name a source; on the input they are anybody's.
                var (sourcePartition, sourceOffset) = _settings.Repartition ? OutputRecords.SourceOf(record.Message.Headers) : (-1, -1);
                if (!byPartition.TryGetValue(partition, out var visits))
                    byPartition[partition] = visits = new PartitionVisits();
                visits.Add(new VisitAt(url, timestamp, readAt, sourcePartition, sourceOffset, record.Offset.Value,
                    VisitValidation.WrittenSecond(record.Message.Timestamp, readAt)), record);
            }
            catch (Exception e)
            {
                if (partition is null || !partition.ProducedAlready(record.Offset.Value))
                    outputs.Add(Failed(record, VisitFailure.Describe(e)), partition);
            }
        }
        var partitions = new PartitionHandle[byPartition.Count];
        var counted = new PartitionVisits[byPartition.Count];
        var questions = new Task<Updated>[byPartition.Count];
        var allReady = true;
        var next = 0;
        foreach (var (partition, visits) in byPartition)
        {
            (partitions[next], counted[next]) = (partition, visits);
            questions[next++] = Question(partition.Actor, new CountVisits(visits.Visits));
            allReady &= partition.Ready.IsCompletedSuccessfully;
        }
        // A rebuilding partition keeps the request until its replay is done: no time limit until then, and a failed
        // rebuild fails the stream with its own error (awaited, not left to the actor's silence and the ask time-out).
        if (!allReady)
            await Task.WhenAll(partitions.Select(p => p.Ready));
        var answers = await AnswersWithinAsync(questions, partitions);
        for (var i = 0; i < partitions.Length; i++)
        {
            var (partition, visits, answer) = (partitions[i], counted[i], answers[i]);
            // One dead letter per failed visit, however many of its steps failed (rare: no cost on the common path).
            var failed = answer.Failed.Count == 0 ? answer.Failed : answer.Failed.DistinctBy(f => f.Visit).ToList();
            Metrics.AddVisits(visits.Visits.Count - answer.Late.Count - answer.Duplicates - failed.Count, answer.Late.Count, answer.Duplicates);
            // Revoked while being counted: the same as above, and the new owner may have produced newer updates already
            // (and copies its late and failed records again).
            if (!Control.IsAssigned(partition.Partition, partition.Epoch))
            {
                _produced.LeftOut(partition.Partition, partition.Epoch);
                continue;
            }
            foreach (var failure in failed)
            {
                if (!partition.ProducedAlready(visits.Visits[failure.Visit].Offset))
                    outputs.Add(Failed(visits.Records[failure.Visit], failure.Error), partition);
            }
            if (_settings.LateTopic is { } lateTopic)
            {
                foreach (var late in answer.Late)
                {
                    if (!partition.ProducedAlready(visits.Visits[late.Visit].Offset))
                        outputs.Add(OutputRecords.Late(lateTopic, visits.Records[late.Visit], visits.Visits[late.Visit].EventTime, late.StreamSecond, _settings.DeadLetterMaxBytes), partition);
                }
            }
            outputs.AddUpdates(answer, partition, skipProducedAlready: true);
        }
        return outputs.Envelope();
    }

    /// <summary>Tells a partition actor <paramref name="message"/>; its answer completes the task.</summary>
    private Task<Updated> Question(IActorRef partition, object message)
    {
        var answer = new Answer<Updated>(_provider);
        partition.Tell(message, answer);
        return answer.Task;
    }

    /// <summary>The partition actors' answers, within <c>ask-timeout</c> of now; after that the stream fails, naming those that did not answer.</summary>
    private async Task<Updated[]> AnswersWithinAsync(Task<Updated>[] questions, IReadOnlyList<PartitionHandle> partitions)
    {
        var all = Task.WhenAll(questions);
        try
        {
            return await all.WaitAsync(_settings.AskTimeout);
        }
        catch (TimeoutException)
        {
            var silent = partitions.Where((_, i) => !questions[i].IsCompleted).Select(p => p.Partition.ToString());
            throw new TimeoutException($"No answer within ask-timeout ({_settings.AskTimeout.TotalSeconds:0.#} s) from the actors of {string.Join(", ", silent)}.");
        }
    }

    private ProducerRecord<byte[], byte[]> DeadLetter(ConsumeResult<byte[], byte[]> record, Rejection rejection)
    {
        Metrics.AddDeadLetter(rejection.Code);
        return OutputRecords.DeadLetter(_settings.DeadLetterTopic, record, rejection, _settings.DeadLetterMaxBytes);
    }

    /// <summary>A record whose handling threw: a dead letter with reason <c>internal-error</c>, or the end of the stream (<c>on-record-error = stop</c>).</summary>
    private ProducerRecord<byte[], byte[]> Failed(ConsumeResult<byte[], byte[]> record, string error) =>
        _settings.OnRecordError == RecordErrorPolicy.Stop
            ? throw new RecordProcessingException(record.TopicPartitionOffset, error)
            : DeadLetter(record, new Rejection(Rejection.InternalError, error));

    /// <summary>How often a cluster node records again the partitions it owns (<see cref="PartitionRegistry.ClaimAgain"/>).</summary>
    private static readonly TimeSpan ClaimAgainEvery = TimeSpan.FromSeconds(15);

    private DateTimeOffset _lastClaimedAt;

    /// <summary>
    /// Asks every assigned partition's actor to follow the wall clock if idle. A partition assigned with a committed
    /// offset gets its actor (and its rebuild) here even before any new record, so its counts still decay after a restart;
    /// so does one read from its beginning, so that queries for its URLs are answered (with zeros) while it is empty.
    /// </summary>
    private async Task<ProducerEnvelope<byte[], OutputValue, Handled>> HandleTickAsync(DateTimeOffset now)
    {
        var assigned = Control.AssignedPartitions;
        foreach (var partition in assigned)
        {
            if (ResumeAt(partition) is { } resumeAt)
                _partitions.For(partition.Partition, partition.Epoch, resumeAt, now);
        }
        var partitions = _partitions.Retain(assigned.Select(p => p.Partition).ToList());
        if (now - _lastClaimedAt >= ClaimAgainEvery)
        {
            _lastClaimedAt = now;
            _partitions.ClaimAgain();
        }
        // A rebuild that failed (its records unreadable for longer than outage-tolerance) fails the stream with its
        // error even when no record of its partition comes: the partition would otherwise stay rebuilding, silently.
        if (partitions.FirstOrDefault(p => p.Ready.IsFaulted) is { } failed)
            await failed.Ready;
        _ends.Refresh(partitions.Where(p => now - p.LastRecordAt >= _settings.IdleAdvance).Select(p => p.Partition).ToList());
        var answers = await AnswersWithinAsync(partitions.Select(p => Question(p.Actor, new Tick(now, _ends.HandledToTheEnd(p.Partition, p.NextOffset)))).ToArray(), partitions);
        var outputs = new Outputs(this, new Handled([]));
        foreach (var (partition, answer) in partitions.Zip(answers))
            outputs.AddUpdates(answer, partition);
        return outputs.Envelope();
    }

    /// <summary>
    /// What one batch produces, each record with the partition assignment it belongs to, if any: an update or a late
    /// copy is fenced off (never handed to the producer) once its input partition is known to be revoked.
    /// </summary>
    private sealed class Outputs(VisitProcessor processor, Handled handled)
    {
        // One run per URL of each answer: about one per visit under a Zipf load (hot URLs share one, a clock move adds some).
        private readonly OutputRecordList _records = new(handled.Records.Count);

        public Handled Handled { get; } = handled;

        public void Add(ProducerRecord<byte[], byte[]> record, PartitionHandle? owner = null) => _records.Add(OutputRecords.AsOutput(record), owner);

        /// <summary>
        /// The updates of one answer; with <paramref name="skipProducedAlready"/> (visits' updates, not the wall
        /// clock's), those caused by records whose outputs were produced already under an earlier assignment are left out.
        /// </summary>
        public void AddUpdates(Updated updated, PartitionHandle owner, bool skipProducedAlready = false)
        {
            var updates = updated.Updates;
            var producedThrough = owner.ProducedThrough;
            if (skipProducedAlready && AnyAtOrBefore(updates, producedThrough))
            {
                updates = updates.Where(u => u.InputOffset > producedThrough);
                processor.Metrics.AddNotProducedAgain(updated.Updates.Count - updates.Count);
            }
            _records.AddUpdates(updates, owner);
        }

        // A loop, not Any with a closure: this runs for every answer.
        private static bool AnyAtOrBefore(WindowUpdateList updates, long offset)
        {
            var byUrl = updates.ByUrl;
            for (var i = 0; i < byUrl.Count; i++)
            {
                foreach (ref readonly var update in byUrl[i].AsSpan())
                {
                    if (update.InputOffset <= offset)
                        return true;
                }
            }
            return false;
        }

        public ProducerEnvelope<byte[], OutputValue, Handled> Envelope()
        {
            var control = processor.Control;
            var records = _records;
            var handled = Handled;
            handled.Updates = records.Updates;
            return ProducerEnvelope<byte[], OutputValue, Handled>.Multi(records, handled) with
            {
                MayProduce = index =>
                {
                    if (records.OwnerOf(index) is not { } owner || control.IsAssigned(owner.Partition, owner.Epoch))
                        return true;
                    if (records.IsUpdate(index))
                        handled.FencedUpdates++;
                    return processor.Fenced(owner);
                },
            };
        }
    }

    /// <summary>Counts an output fenced off; false, so that it is not produced.</summary>
    private bool Fenced(PartitionHandle owner)
    {
        Metrics.AddFenced();
        _produced.LeftOut(owner.Partition, owner.Epoch);
        return false;
    }

    /// <summary>
    /// Every output of <paramref name="handled"/>'s records is acknowledged: their offsets may be committed, and the
    /// marks learn how far each partition's outputs are in the topics (<see cref="ProducedMarks"/>; outputs left out
    /// were told to them before, in stream order).
    /// The committer gets the last offset of each run of one partition's records, counted as the run's records
    /// (<see cref="CommittableRuns"/>): committing it commits them all.
    /// </summary>
    private List<CommittableOffset> Acknowledged(Handled handled)
    {
        var now = _clock.GetUtcNow();
        foreach (var (message, readAt) in handled.Records)
        {
            // A record stamped outside years 1 to 9999 has no latency (its visit was counted or dead-lettered all the same).
            if (KafkaTime.TryGetTime(message.Record.Message.Timestamp, out var produced))
                Metrics.RecordLatency(now - produced, now - readAt);
        }
        var offsets = CommittableRuns.Offsets(handled.Records, static r => r.Message);
        foreach (var offset in offsets)
            _produced.Acknowledged(offset.TopicPartition, offset.AssignmentEpoch, offset.Offset.Value);
        Metrics.AddDone(handled.Records.Count);
        Metrics.AddUpdates(handled.Updates - handled.FencedUpdates);
        return offsets;
    }

    /// <summary>
    /// A batch of records as it went through the stream; what of it is not produced (revoked before or while it was
    /// handled, or fenced off before producing) is told to <see cref="_produced"/> there and then.
    /// </summary>
    private sealed class Handled(IReadOnlyList<ReadRecord> records)
    {
        public IReadOnlyList<ReadRecord> Records { get; } = records;

        /// <summary>The window updates the batch made, and of them those fenced off (told by the producer flow, before the acknowledgement).</summary>
        public int Updates { get; set; }

        public int FencedUpdates { get; set; }
    }

    /// <summary>One partition assigned to this process: rebuilt (its windows are exact) or not yet, and its lag (unknown before its first commit).</summary>
    public sealed record PartitionStatus(int Partition, int Generation, bool Rebuilt, long? Lag);

    /// <summary>One partition's valid visits of a batch, in offset order, and the record each came from.</summary>
    private sealed class PartitionVisits
    {
        public List<VisitAt> Visits { get; } = [];

        public List<ConsumeResult<byte[], byte[]>> Records { get; } = [];

        public void Add(VisitAt visit, ConsumeResult<byte[], byte[]> record)
        {
            Visits.Add(visit);
            Records.Add(record);
        }
    }

    /// <summary>A consumed record and when it was read (wall clock).</summary>
    private sealed record ReadRecord(CommittableMessage<byte[], byte[]> Message, DateTimeOffset ReadAt);

    /// <summary>Consumed records, or a wall-clock tick at <paramref name="TickAt"/> when there are none.</summary>
    private sealed record ProcessorBatch(IReadOnlyList<ReadRecord> Records, DateTimeOffset TickAt);
}
