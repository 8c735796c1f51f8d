using ActorVisits.Entities;
using ActorVisits.Kafka.Settings;
using System.Diagnostics;
using ActorVisits.Configuration;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Native;
using Akka.Actor;
using Confluent.Kafka;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Processing;

/// <summary>
/// Rebuilds a newly assigned partition's windows from Kafka, the only store: reads again the records from about one
/// longest window plus <c>rebuild-margin</c> (by record timestamp) before the committed offset up to it, counts them into
/// the partition actor without producing anything, then lets the actor go on with the live records it kept meanwhile.
/// </summary>
internal sealed class PartitionRebuild(KafkaSettings kafka, ProcessorSettings settings, ProcessorMetrics metrics)
{
    private const int BatchSize = 500;
    private const int BatchesInFlight = 4;
    private static readonly TimeSpan LongestRead = TimeSpan.FromSeconds(30);

    /// <summary>How long one read of the replay's start may take: never past what the brokers' trouble is allowed to last.</summary>
    private TimeSpan ReadTimeout => kafka.OutageTolerance < LongestRead ? kafka.OutageTolerance : LongestRead;
    private const int PollTimeoutMs = 100;

    /// <summary>How many records back (1, 2, 4... offsets before the committed one) a replay looks for its anchor.</summary>
    private const int MaxAnchorProbes = 20;

    /// <summary>
    /// Replays on a dedicated thread into <paramref name="partition"/>, which was created rebuilding. The task completes
    /// once the actor has all the replayed visits, or quietly when <paramref name="cancel"/> fires or
    /// <paramref name="revoked"/> turns true (the partition was revoked; the consumer knows it before the stream's
    /// stage, which may itself be waiting for this replay); it fails, with a <see cref="RebuildFailedException"/>, only
    /// when the records cannot be read.
    /// </summary>
    public Task StartAsync(TopicPartition topicPartition, long committedOffset, IActorRef partition, Func<bool> revoked, CancellationToken cancel) =>
        Task.Factory.StartNew(() =>
        {
            var stop = new ReplayStop(revoked, cancel);
            try
            {
                Replay(topicPartition, committedOffset, partition, stop);
                partition.Tell(ReplayDone.Instance);
            }
            catch (PartitionRevokedException)
            {
                // Only the consumer knows yet: the actor answers what it kept (and whatever comes next) with nothing now,
                // so that a stage waiting for those answers goes on (and drops them, the partition being revoked), rather
                // than waiting for the rest of a replay nobody needs. The stage stops it at its next look at the assignment.
                partition.Tell(RebuildAbandoned.Instance);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Revoked: the partition actor is being stopped and answers what it kept with nothing.
            }
            catch (Exception e) when (!cancel.IsCancellationRequested)
            {
                throw new RebuildFailedException(topicPartition, e);
            }
        }, cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ContinueWith(
            replay => replay.IsCanceled ? Task.CompletedTask : replay, TaskScheduler.Default).Unwrap();

    /// <summary>Why a replay stops early: cancelled by the stream's stage, or its partition revoked as the consumer tells.</summary>
    private sealed class ReplayStop(Func<bool> revoked, CancellationToken cancel)
    {
        public CancellationToken Token => cancel;

        public void ThrowIfStopped()
        {
            cancel.ThrowIfCancellationRequested();
            if (revoked())
                throw new PartitionRevokedException();
        }
    }

    private sealed class PartitionRevokedException : OperationCanceledException;

    private void Replay(TopicPartition topicPartition, long committedOffset, IActorRef partition, ReplayStop stop)
    {
        var cancel = stop.Token;
        var clock = Stopwatch.StartNew();
        var consumerSettings = kafka.Consumer($"{settings.GroupId}.rebuild", Deserializers.ByteArray, Deserializers.ByteArray);
        // Only records that exist are read: no reason to let a broker hold a fetch for more (the embedded one always does).
        consumerSettings.Config.FetchWaitMaxMs = 10;
        // The end of the partition is told, so that a replay (and the search for its start) stops there even when the
        // records just before the committed offset are no records (a transaction's marker, a compacted gap).
        consumerSettings.Config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(consumerSettings.Config).SetLogHandler(KafkaLog.For(consumerSettings.Config)).Build();
        // Where the replay starts: asked again while the brokers cannot answer (nothing has been counted yet).
        var from = RetryWhileBrokersFail(() => ReplayStart(consumer, topicPartition, committedOffset), kafka.OutageTolerance, stop);
        if (from is null)
            return;
        consumer.Assign(new TopicPartitionOffset(topicPartition, from.Value));

        var answers = new Queue<Task>();
        var urls = new UrlStrings();
        var batch = new List<VisitAt>(BatchSize);
        long replayed = 0;
        var lastProgress = DateTime.UtcNow;
        void Send()
        {
            if (batch.Count == 0)
                return;
            if (answers.Count == BatchesInFlight)
                answers.Dequeue().Wait(cancel);
            answers.Enqueue(partition.Ask<Updated>(new ReplayVisits(batch), settings.AskTimeout, cancel));
            batch = new List<VisitAt>(BatchSize);
        }

        // Records are read in place (NativeRecord): a replay reads every retained record of the longest window, and
        // Confluent.Kafka's Consume made about nine objects of each.
        var handle = Librdkafka.RawHandle(consumer);
        for (var next = from; next < committedOffset;)
        {
            stop.ThrowIfStopped();
            using var record = NativeRecord.Poll(handle, PollTimeoutMs);
            if (record.IsEmpty)
            {
                // Nothing came: the records before the committed offset exist, so a leader that is down or unreachable
                // (librdkafka says nothing per partition then) holds them back. Waited out like a failed fetch.
                stop.ThrowIfStopped();
                if (DateTime.UtcNow - lastProgress >= kafka.OutageTolerance)
                    throw new TimeoutException($"No record of {topicPartition} could be read for {kafka.OutageTolerance} (outage-tolerance) while rebuilding its windows, at offset {next} of {committedOffset}.");
                continue;
            }
            if (record.Error == ErrorCode.Local_PartitionEOF)
            {
                // Everything before the end was delivered, so nothing is left to replay: the end is at or past the
                // committed offset, or below it when the log was truncated or the topic recreated since the commit.
                break;
            }
            if (record.Error != ErrorCode.NoError)
            {
                // A fetch that failed (a broker gone or slow): librdkafka retries it from the same offset.
                if (record.Error != ErrorCode.Local_Fatal && DateTime.UtcNow - lastProgress < kafka.OutageTolerance)
                    continue;
                throw new ConsumeException(new ConsumeResult<byte[], byte[]> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition, record.Offset) }, record.ToError());
            }
            lastProgress = DateTime.UtcNow;
            if (record.Offset >= committedOffset)
                break;
            if (record.Offset < next)
            {
                // Delivered again (before the replay's start, or a record replayed already): counting it again would
                // count its visit twice.
                metrics.AddReplayReadAgain();
                continue;
            }
            next = record.Offset + 1;
            replayed++;
            var now = DateTimeOffset.UtcNow;
            // Dead letters were written when the record was first read; a replay only counts. The future is judged from
            // the record's own timestamp (VisitValidation.WrittenAt), as it was when first read, not from this later now.
            if (VisitValidation.TryValidate(record.Value, record.HasValue, record.Timestamp, now, settings.MaxFutureSkew, settings.MaxVisitBytes, urls, out var url, out var timestamp, out _))
            {
                var (sourcePartition, sourceOffset) = settings.Repartition ? SourceOf(record) : (-1, -1);
                // Arrived now: when it was read first is not known (its Kafka timestamp is when it was written, which for a
                // backfill of old records is as old as its visit), so a replay is judged as old data (PartitionClock).
                batch.Add(new VisitAt(url, timestamp, now, sourcePartition, sourceOffset, record.Offset, VisitValidation.WrittenSecond(record.Timestamp, now)));
            }
            if (batch.Count == BatchSize)
                Send();
        }
        Send();
        while (answers.TryDequeue(out var answer))
            answer.Wait(cancel);
        metrics.AddRebuild(replayed, clock.Elapsed);
    }

    private static (int Partition, long Offset) SourceOf(NativeRecord record) =>
        record.TryGetLastHeader(OutputRecords.SourcePartitionHeader, out var partition) && record.TryGetLastHeader(OutputRecords.SourceOffsetHeader, out var offset)
            ? OutputRecords.SourceOf(partition, offset)
            : (-1, -1);

    /// <summary>
    /// The first offset to replay so that the windows at <paramref name="committedOffset"/> come out exact; null when
    /// nothing before it is held (nothing to rebuild).
    /// </summary>
    private long? ReplayStart(IConsumer<byte[], byte[]> consumer, TopicPartition topicPartition, long committedOffset)
    {
        var logStart = consumer.QueryWatermarkOffsets(topicPartition, ReadTimeout).Low.Value;
        if (committedOffset <= logStart)
            return null;
        if (LastStampBefore(consumer, topicPartition, committedOffset, logStart) is not { } lastCommitted)
            return null;
        var lookBack = TimeSpan.FromSeconds(settings.Windows.LongestSeconds) + settings.RebuildMargin;
        // From the start for a last record stamped before 1970 plus the look-back (the time index takes no negative time).
        if (lastCommitted < DateTimeOffset.UnixEpoch + lookBack)
            return logStart;
        var replayFrom = lastCommitted - lookBack;
        return Math.Max(logStart, PartitionHistory.FirstOffsetAtOrAfter(consumer, topicPartition, replayFrom, ReadTimeout));
    }

    /// <summary>
    /// The time the replay looks back from: the timestamp of the last record before <paramref name="committedOffset"/>,
    /// or of one a little earlier, found by stepping back (1, 2, 4... offsets) when the offsets just before it hold no
    /// record (a transaction's marker, a compacted gap) or a record stamped in the future (any producer may stamp so;
    /// it says nothing of where the last window starts). An earlier anchor only replays more. Never later than the
    /// wall clock, which is the anchor when the probes find only future stamps. Null when no record precedes the
    /// committed offset.
    /// </summary>
    private DateTimeOffset? LastStampBefore(IConsumer<byte[], byte[]> consumer, TopicPartition topicPartition, long committedOffset, long logStart)
    {
        var now = DateTimeOffset.UtcNow;
        var latestPlausible = now + settings.MaxFutureSkew;
        DateTimeOffset? anchor = null;
        for (var (step, probes) = (1L, 0); probes < MaxAnchorProbes; step *= 2, probes++)
        {
            // The last probe reads from the log start: a long run of non-records before the commit (aborted
            // transactions) must not pass for an empty partition, which would leave the windows empty.
            var at = probes == MaxAnchorProbes - 1 ? logStart : Math.Max(logStart, committedOffset - step);
            if (PartitionHistory.RecordAt(consumer, topicPartition, at, ReadTimeout) is { } found && found.Offset < committedOffset)
            {
                if (found.Timestamp <= latestPlausible)
                    return found.Timestamp > now ? now : found.Timestamp;
                anchor = now;
            }
            if (at == logStart)
                break;
        }
        return anchor;
    }

    /// <summary>Runs <paramref name="read"/> again, a second apart, while it fails for want of brokers, for up to <paramref name="tolerance"/>.</summary>
    private static T RetryWhileBrokersFail<T>(Func<T> read, TimeSpan tolerance, ReplayStop stop)
    {
        var deadline = DateTime.UtcNow + tolerance;
        while (true)
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is KafkaException { Error.IsFatal: false } or TimeoutException && DateTime.UtcNow < deadline)
            {
                stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                stop.ThrowIfStopped();
            }
        }
    }
}
