using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Commits the offsets of processed records, batched by count and time. Per partition only the highest offset of a batch
/// is sent. Materializes a task that completes once the last batch is committed after upstream finished, or fails with
/// the first commit error.
/// </summary>
internal sealed class CommitterSinkStage(CommitterSettings settings) : GraphStageWithMaterializedValue<SinkShape<CommittableOffset>, Task>
{
    private readonly Inlet<CommittableOffset> _in = new("CommitterSink.in");

    public override SinkShape<CommittableOffset> Shape => new(_in);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("CommitterSink");

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, settings.Validated(), completion), completion.Task);
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string FlushTimer = "flush";

        private readonly CommitterSinkStage _stage;
        private readonly CommitterSettings _settings;
        private readonly TaskCompletionSource _completion;
        private readonly Dictionary<(IOffsetCommitter, TopicPartition), CommittableOffset> _batch = [];
        private Action<Task> _commitDone = _ => { };
        private int _batchCount;
        private int _outstanding;

        public Logic(CommitterSinkStage stage, CommitterSettings settings, TaskCompletionSource completion) : base(stage.Shape)
        {
            _stage = stage;
            _settings = settings;
            _completion = completion;
            SetHandler(stage._in, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish, onUpstreamFailure: OnUpstreamFailure);
        }

        public override void PreStart()
        {
            _commitDone = GetAsyncCallback<Task>(OnCommitDone);
            Pull(_stage._in);
        }

        private void OnPush()
        {
            var offset = Grab(_stage._in);
            var key = (offset.Committer, offset.TopicPartition);
            if (!_batch.TryGetValue(key, out var known) || known.Offset.Value < offset.Offset.Value || known.AssignmentEpoch != offset.AssignmentEpoch)
                _batch[key] = offset;
            if (_batchCount == 0)
                ScheduleOnce(FlushTimer, _settings.MaxInterval);
            _batchCount += Math.Max(1, offset.Records);
            if (_batchCount >= _settings.MaxBatch)
                Commit();
            PullIfAllowed();
        }

        protected override void OnTimer(object timerKey)
        {
            if (_batchCount > 0)
                Commit();
            PullIfAllowed();
        }

        private void Commit()
        {
            foreach (var group in TakeBatch())
            {
                _outstanding++;
                group.Key.CommitAsync(group.ToList()).ContinueWith(_commitDone, TaskScheduler.Default);
            }
        }

        /// <summary>The batch, by committer; the stage starts a new one.</summary>
        private List<IGrouping<IOffsetCommitter, CommittableOffset>> TakeBatch()
        {
            CancelTimer(FlushTimer);
            var byCommitter = _batch.Values.GroupBy(o => o.Committer).ToList();
            _batch.Clear();
            _batchCount = 0;
            return byCommitter;
        }

        private void OnCommitDone(Task commit)
        {
            _outstanding--;
            if (commit.Exception is { } error)
            {
                var cause = error.InnerExceptions.Count == 1 ? error.InnerExceptions[0] : error;
                _completion.TrySetException(cause);
                FailStage(cause);
                return;
            }
            PullIfAllowed();
            CompleteIfDone();
        }

        private void PullIfAllowed()
        {
            if (_outstanding < _settings.Parallelism && !HasBeenPulled(_stage._in) && !IsClosed(_stage._in))
                Pull(_stage._in);
        }

        private void OnUpstreamFinish()
        {
            if (_batchCount > 0)
                Commit();
            // With its only port closed the stage would be stopped at once; it stays until the last commit is answered.
            SetKeepGoing(true);
            CompleteIfDone();
        }

        private void CompleteIfDone()
        {
            if (IsClosed(_stage._in) && _batchCount == 0 && _outstanding == 0)
            {
                _completion.TrySetResult();
                CompleteStage();
            }
        }

        private void OnUpstreamFailure(Exception cause)
        {
            // What is batched was processed and acknowledged: it is still sent (the consumer serves the requests queued
            // before it closes), so that a restart reads less again. Not waited for: the stream has failed already.
            foreach (var group in TakeBatch())
                group.Key.CommitAsync(group.ToList()).ContinueWith(static commit => commit.Exception, TaskScheduler.Default);
            _completion.TrySetException(cause);
            FailStage(cause);
        }

        public override void PostStop() =>
            _completion.TrySetException(new AbruptStageTerminationException(this));
    }
}
