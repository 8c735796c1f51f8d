using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Produces each envelope's records and emits, in input order, the envelope's results once every one of its records is
/// acknowledged (with <c>acks=all</c>, by all in-sync replicas). Keeps at most <see cref="ProducerSettings{TKey,TValue}.Parallelism"/>
/// envelopes in flight. A delivery failure fails the stage: a record is never dropped silently.
/// </summary>
internal sealed class ProducerFlowStage<TKey, TValue, TPassThrough>(ProducerSettings<TKey, TValue> settings, IProducer<TKey, TValue>? sharedProducer)
    : GraphStage<FlowShape<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>>>
{
    private readonly ProducerSettings<TKey, TValue> _settings = settings;
    private readonly IProducer<TKey, TValue>? _sharedProducer = sharedProducer;
    private readonly Inlet<ProducerEnvelope<TKey, TValue, TPassThrough>> _in = new("ProducerFlow.in");
    private readonly Outlet<ProducerResults<TKey, TValue, TPassThrough>> _out = new("ProducerFlow.out");

    public override FlowShape<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>> Shape => new(_in, _out);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("ProducerFlow");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class InFlight(ProducerEnvelope<TKey, TValue, TPassThrough> envelope)
    {
        public ProducerEnvelope<TKey, TValue, TPassThrough> Envelope { get; } = envelope;
        public DeliveryResult<TKey, TValue>[] Deliveries { get; } = new DeliveryResult<TKey, TValue>[envelope.Records.Count];
        public int Remaining = envelope.Records.Count;
        public volatile Error? Error;
        public string? FailedTopic;
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly ProducerFlowStage<TKey, TValue, TPassThrough> _stage;
        private readonly Queue<InFlight> _inFlight = new();
        private IProducer<TKey, TValue> _producer = null!;
        private Action _deliveredCallback = () => { };
        private int _signalPending;

        public Logic(ProducerFlowStage<TKey, TValue, TPassThrough> stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage._in, onPush: OnPush, onUpstreamFinish: () => CompleteWhenDrained(), onUpstreamFailure: FailStage);
            SetHandler(stage._out, onPull: () =>
            {
                EmitCompleted();
                PullIfRoom();
                CompleteWhenDrained(onlyIfFinished: true);
            });
        }

        private ProducerSettings<TKey, TValue> Settings => _stage._settings;

        public override void PreStart()
        {
            _producer = _stage._sharedProducer ?? new ProducerBuilder<TKey, TValue>(Settings.Config)
                .SetKeySerializer(Settings.KeySerializer)
                .SetValueSerializer(Settings.ValueSerializer)
                .SetLogHandler(KafkaLog.For(Settings.Config))
                .Build();
            var delivered = GetAsyncCallback(OnDelivered);
            _deliveredCallback = () =>
            {
                // One wake-up for any number of acknowledgements that arrive before the stage runs again.
                if (Interlocked.Exchange(ref _signalPending, 1) == 0)
                    delivered();
            };
        }

        private void OnPush()
        {
            var inFlight = new InFlight(Grab(_stage._in));
            _inFlight.Enqueue(inFlight);
            var records = inFlight.Envelope.Records;
            var mayProduce = inFlight.Envelope.MayProduce;
            for (var i = 0; i < records.Count; i++)
            {
                var index = i;
                if (mayProduce is not null && !mayProduce(i))
                {
                    Interlocked.Decrement(ref inFlight.Remaining);
                    continue;
                }
                try
                {
                    _producer.Produce(records[i].Topic, records[i].Message, report => OnReport(inFlight, index, report));
                }
                catch (ProduceException<TKey, TValue> e)
                {
                    FailStage(new KafkaProduceFailedException(records[i].Topic, e.Error, e));
                    return;
                }
            }
            if (Volatile.Read(ref inFlight.Remaining) == 0)
                EmitCompleted();
            PullIfRoom();
        }

        private void OnReport(InFlight inFlight, int index, DeliveryReport<TKey, TValue> report)
        {
            if (report.Error.IsError)
            {
                inFlight.FailedTopic = report.Topic;
                inFlight.Error = report.Error;
            }
            inFlight.Deliveries[index] = report;
            if (Interlocked.Decrement(ref inFlight.Remaining) == 0)
                _deliveredCallback();
        }

        private void OnDelivered()
        {
            Volatile.Write(ref _signalPending, 0);
            EmitCompleted();
            PullIfRoom();
            CompleteWhenDrained(onlyIfFinished: true);
        }

        private void EmitCompleted()
        {
            while (_inFlight.TryPeek(out var head) && Volatile.Read(ref head.Remaining) == 0)
            {
                if (head.Error is { } error)
                {
                    FailStage(new KafkaProduceFailedException(head.FailedTopic!, error, null));
                    return;
                }
                if (!IsAvailable(_stage._out))
                    return;
                _inFlight.Dequeue();
                Push(_stage._out, new ProducerResults<TKey, TValue, TPassThrough>(head.Deliveries, head.Envelope.PassThrough));
            }
        }

        private void PullIfRoom()
        {
            if (_inFlight.Count < Settings.Parallelism && !HasBeenPulled(_stage._in) && !IsClosed(_stage._in))
                Pull(_stage._in);
        }

        private void CompleteWhenDrained(bool onlyIfFinished = false)
        {
            if (onlyIfFinished && !IsClosed(_stage._in))
                return;
            if (_inFlight.Count == 0)
                CompleteStage();
        }

        public override void PostStop()
        {
            if (_stage._sharedProducer is not null)
                return;
            // Everything emitted was acknowledged already; flushing only matters when the stage stops on a failure.
            _producer?.Flush(Settings.FlushTimeout);
            _producer?.Dispose();
        }
    }
}
