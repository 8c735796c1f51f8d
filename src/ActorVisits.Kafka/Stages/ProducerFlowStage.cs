using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>
/// Produces each envelope's records and emits, in input order, the envelope's results once every one of its records is
/// acknowledged (with <c>acks=all</c>, by all in-sync replicas). Keeps at most
/// <see cref="ProducerSettings{TKey,TValue}.MaxInFlightRecords"/> records in flight, and librdkafka's own queue is
/// sized above that; should librdkafka still answer <c>Local_QueueFull</c> (its queue set smaller by a client
/// property), the flow waits for acknowledgements and produces the rest then. A delivery failure fails the stage: a
/// record is never dropped silently.
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

    private sealed class InFlight(ProducerEnvelope<TKey, TValue, TPassThrough> envelope, bool keepDeliveries)
    {
        public ProducerEnvelope<TKey, TValue, TPassThrough> Envelope { get; } = envelope;
        public DeliveryResult<TKey, TValue>[] Deliveries { get; } = keepDeliveries ? new DeliveryResult<TKey, TValue>[envelope.Records.Count] : [];
        public int Remaining = envelope.Records.Count;
        public volatile Error? Error;
        public string? FailedTopic;

        /// <summary>Without delivery results: one callback for all the envelope's records.</summary>
        public Action<DeliveryReport<TKey, TValue>>? OnAnyReport;
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string RetryTimer = "queue-full";
        private static readonly TimeSpan QueueFullRetry = TimeSpan.FromMilliseconds(10);

        private readonly ProducerFlowStage<TKey, TValue, TPassThrough> _stage;
        private readonly Queue<InFlight> _inFlight = new();

        /// <summary>The envelope whose records librdkafka's full queue refused, and the first record still to produce.</summary>
        private (InFlight Envelope, int Next)? _waitingForRoom;
        private int _recordsInFlight;
        private IProducer<TKey, TValue> _producer = null!;
        // librdkafka's "any partition" per topic, made once: the overload taking a topic name makes one per record.
        private readonly Dictionary<string, TopicPartition> _anyPartitionOf = new(StringComparer.Ordinal);
        private Action _deliveredCallback = () => { };

        /// <summary>
        /// The one message every record is handed over in: Confluent.Kafka serializes it and librdkafka copies the bytes
        /// inside <c>Produce</c>, and only its key and value (the record's own) are kept for a delivery report.
        /// </summary>
        private readonly Message<TKey, TValue> _message = new();
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
            // librdkafka's queue larger than the flow's own bound, unless a client property says otherwise: a stalled
            // broker makes the flow wait, not fail.
            var config = new ProducerConfig(new Dictionary<string, string>(Settings.Config));
            config.QueueBufferingMaxMessages ??= Math.Max(100_000, 2 * Settings.MaxInFlightRecords);
            // Without delivery results, reports need only their status (and the topic, always there).
            if (!Settings.KeepDeliveryResults && config.Get("dotnet.producer.delivery.report.fields") is null)
                config.DeliveryReportFields = "status";
            _producer = _stage._sharedProducer ?? new ProducerBuilder<TKey, TValue>(config)
                .SetKeySerializer(Settings.KeySerializer)
                .SetValueSerializer(Settings.ValueSerializer)
                .SetLogHandler(KafkaLog.For(config))
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
            var inFlight = new InFlight(Grab(_stage._in), Settings.KeepDeliveryResults);
            if (!Settings.KeepDeliveryResults)
                inFlight.OnAnyReport = report => OnReport(inFlight, -1, report);
            _inFlight.Enqueue(inFlight);
            _recordsInFlight += inFlight.Envelope.Records.Count;
            ProduceFrom(inFlight, 0);
        }

        /// <summary>Hands the envelope's records from <paramref name="first"/> on to librdkafka; stops, to retry, when its queue is full.</summary>
        private void ProduceFrom(InFlight inFlight, int first)
        {
            var records = inFlight.Envelope.Records;
            var mayProduce = inFlight.Envelope.MayProduce;
            for (var i = first; i < records.Count; i++)
            {
                if (mayProduce is not null && !mayProduce(i))
                {
                    Interlocked.Decrement(ref inFlight.Remaining);
                    continue;
                }
                try
                {
                    var record = records[i];
                    if (!_anyPartitionOf.TryGetValue(record.Topic, out var target))
                        _anyPartitionOf[record.Topic] = target = new TopicPartition(record.Topic, Partition.Any);
                    _message.Key = record.Key;
                    _message.Value = record.Value;
                    _message.Timestamp = record.Timestamp;
                    _message.Headers = record.Headers;
                    try
                    {
                        _producer.Produce(target, _message, inFlight.OnAnyReport ?? ReportFor(inFlight, i));
                    }
                    finally
                    {
                        // Nothing of a record stays reachable from here once it is handed over.
                        _message.Key = default!;
                        _message.Value = default!;
                        _message.Headers = null;
                    }
                }
                catch (ProduceException<TKey, TValue> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    _waitingForRoom = (inFlight, i);
                    ScheduleOnce(RetryTimer, QueueFullRetry);
                    return;
                }
                catch (ProduceException<TKey, TValue> e)
                {
                    FailStage(new KafkaProduceFailedException(records[i].Topic, e.Error, e));
                    return;
                }
            }
            _waitingForRoom = null;
            if (Volatile.Read(ref inFlight.Remaining) == 0)
                EmitCompleted();
            PullIfRoom();
        }

        // Its own method: a closure made in the loop above would be allocated for every record, used or not.
        private Action<DeliveryReport<TKey, TValue>> ReportFor(InFlight inFlight, int index) => report => OnReport(inFlight, index, report);

        protected override void OnTimer(object timerKey)
        {
            if (_waitingForRoom is { } waiting)
                ProduceFrom(waiting.Envelope, waiting.Next);
        }

        private void OnReport(InFlight inFlight, int index, DeliveryReport<TKey, TValue> report)
        {
            if (report.Error.IsError)
            {
                inFlight.FailedTopic = report.Topic ?? inFlight.Envelope.Records[Math.Max(0, index)].Topic;
                inFlight.Error = report.Error;
            }
            if (index >= 0)
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
                _recordsInFlight -= head.Envelope.Records.Count;
                Push(_stage._out, new ProducerResults<TKey, TValue, TPassThrough>(head.Deliveries, head.Envelope.PassThrough));
            }
        }

        private void PullIfRoom()
        {
            if ((_inFlight.Count == 0 || _recordsInFlight < Settings.MaxInFlightRecords) && _waitingForRoom is null
                && !HasBeenPulled(_stage._in) && !IsClosed(_stage._in))
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
