using Akka.Event;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Emits consumed records with their committable offsets. The consumer runs on its own thread (<see cref="ConsumerWorker{TKey,TValue}"/>);
/// this stage only drains its bounded buffer on demand, so a slow downstream pauses the consumer instead of growing memory.
/// </summary>
internal sealed class CommittableSourceStage<TKey, TValue>(ConsumerSettings<TKey, TValue> settings, IReadOnlyList<string> topics)
    : GraphStageWithMaterializedValue<SourceShape<CommittableMessage<TKey, TValue>>, IConsumerControl>
{
    private readonly Outlet<CommittableMessage<TKey, TValue>> _out = new("CommittableSource.out");

    public override SourceShape<CommittableMessage<TKey, TValue>> Shape => new(_out);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("CommittableSource");

    public override ILogicAndMaterializedValue<IConsumerControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var worker = new ConsumerWorker<TKey, TValue>(settings, topics);
        var logic = new Logic(this, worker);
        return new LogicAndMaterializedValue<IConsumerControl>(logic, logic);
    }

    private sealed class Logic : GraphStageLogic, IConsumerControl
    {
        private readonly CommittableSourceStage<TKey, TValue> _stage;
        private readonly ConsumerWorker<TKey, TValue> _worker;
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Action _stop = () => { };
        private volatile bool _stopRequested;

        public Logic(CommittableSourceStage<TKey, TValue> stage, ConsumerWorker<TKey, TValue> worker) : base(stage.Shape)
        {
            _stage = stage;
            _worker = worker;
            SetHandler(stage._out, onPull: TryPush, onDownstreamFinish: _ => CompleteStage());
        }

        public override void PreStart()
        {
            var available = GetAsyncCallback(TryPush);
            var failed = GetAsyncCallback<Exception>(FailStage);
            _stop = GetAsyncCallback(() =>
            {
                _worker.StopConsuming();
                CompleteStage();
            });
            _worker.Start(available, failed);
            _started.TrySetResult();
            if (_stopRequested)
                _stop();
        }

        public override void PostStop()
        {
            // Stopped through the control, the consumer stays up to commit what is still in flight; otherwise
            // (downstream cancelled, stream failed) nothing more can be committed and it leaves the group now.
            if (!_stopRequested)
            {
                // No stage is left to fail with what the close meets: said in the log rather than lost.
                var log = Log;
                _worker.ShutdownAsync().ContinueWith(
                    close => log.Warning("The consumer closed with an error after its stream ended: {0}", close.Exception!.GetBaseException().Message),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        private void TryPush()
        {
            if (IsAvailable(_stage._out) && _worker.TryTake(out var message))
                Push(_stage._out, message);
        }

        public void Stop()
        {
            _stopRequested = true;
            _worker.StopConsuming();
            if (_started.Task.IsCompleted)
                _stop();
        }

        public Task ShutdownAsync()
        {
            Stop();
            return _worker.ShutdownAsync();
        }

        public IReadOnlyCollection<TopicPartition> Assignment => _worker.Assignment;

        public IReadOnlyList<AssignedPartition> AssignedPartitions => _worker.AssignedPartitions;

        public bool IsAssigned(TopicPartition partition, long epoch) => _worker.IsAssigned(partition, epoch);

        public bool TryGetAssignment(TopicPartition partition, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AssignedPartition? assignment) =>
            _worker.TryGetAssignment(partition, out assignment);

        public ConsumerMetrics Metrics => _worker.Metrics;
    }
}
