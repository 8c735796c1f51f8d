using System.Runtime.InteropServices;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Native;
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
/// record is never dropped silently. Records go through a <see cref="NativeProducer"/>: a record's delivery report
/// finds its envelope through a slot of native memory holding the envelope's GC handle (one handle per envelope),
/// so neither producing nor acknowledging a record makes a .NET object.
/// </summary>
internal sealed class ProducerFlowStage<TKey, TValue, TPassThrough>(ProducerSettings<TKey, TValue> settings)
    : GraphStage<FlowShape<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>>>
{
    private readonly ProducerSettings<TKey, TValue> _settings = settings;
    private readonly Inlet<ProducerEnvelope<TKey, TValue, TPassThrough>> _in = new("ProducerFlow.in");
    private readonly Outlet<ProducerResults<TKey, TValue, TPassThrough>> _out = new("ProducerFlow.out");

    public override FlowShape<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>> Shape => new(_in, _out);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("ProducerFlow");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>
    /// An envelope between its push and its results. Each record's opaque is the address of its own slot in a native
    /// array that holds this envelope's GC handle in every slot: the report finds the envelope through the slot and
    /// the record's index from the slot's place in the array.
    /// </summary>
    private sealed unsafe class InFlight
    {
        private GCHandle _self;
        private IntPtr* _slots;

        public InFlight(ProducerEnvelope<TKey, TValue, TPassThrough> envelope, bool keepDeliveries)
        {
            Envelope = envelope;
            var count = envelope.Records.Count;
            Deliveries = keepDeliveries ? new DeliveryResult<TKey, TValue>[count] : [];
            Remaining = count;
            if (count == 0)
                return;
            _self = GCHandle.Alloc(this);
            _slots = (IntPtr*)NativeMemory.Alloc((nuint)count, (nuint)sizeof(IntPtr));
            new Span<IntPtr>(_slots, count).Fill(GCHandle.ToIntPtr(_self));
        }

        public ProducerEnvelope<TKey, TValue, TPassThrough> Envelope { get; }
        public DeliveryResult<TKey, TValue>[] Deliveries { get; }
        public int Remaining;
        public volatile Error? Error;
        public string? FailedTopic;

        public IntPtr OpaqueOf(int index) => (IntPtr)(_slots + index);

        public static InFlight Of(IntPtr opaque, out int index)
        {
            var inFlight = (InFlight)GCHandle.FromIntPtr(*(IntPtr*)opaque).Target!;
            index = (int)((IntPtr*)opaque - inFlight._slots);
            return inFlight;
        }

        /// <summary>Once no report can come for it any more (all in, or the producer destroyed).</summary>
        public void Release()
        {
            if (_slots is null)
                return;
            NativeMemory.Free(_slots);
            _slots = null;
            _self.Free();
        }
    }

    private sealed class Logic : TimerGraphStageLogic, IDeliveryListener
    {
        private const string RetryTimer = "queue-full";
        private static readonly TimeSpan QueueFullRetry = TimeSpan.FromMilliseconds(10);

        private readonly ProducerFlowStage<TKey, TValue, TPassThrough> _stage;
        private readonly Queue<InFlight> _inFlight = new();

        /// <summary>The envelope whose records librdkafka's full queue refused, and the first record still to produce.</summary>
        private (InFlight Envelope, int Next)? _waitingForRoom;
        private int _recordsInFlight;
        private NativeProducer? _producer;
        private Action _deliveredCallback = () => { };
        private int _signalPending;

        // The first record librdkafka gave up on (it reports an error only once no retry is left): the stage fails on
        // it at once, rather than once its envelope reaches the head of the queue, which may take message.timeout.ms
        // behind a slow partition while later envelopes are acknowledged but can no longer be committed.
        private KafkaProduceFailedException? _undeliverable;

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
            if (config.Get("queue.buffering.max.messages") is null)
                config.QueueBufferingMaxMessages = Math.Max(100_000, 2 * Settings.MaxInFlightRecords);
            var delivered = GetAsyncCallback(OnReportsArrived);
            _deliveredCallback = () =>
            {
                // One wake-up for any number of acknowledgements that arrive before the stage runs again.
                if (Interlocked.Exchange(ref _signalPending, 1) == 0)
                    delivered();
            };
            _producer = NativeProducer.Create(config, this);
        }

        private void OnPush()
        {
            var inFlight = new InFlight(Grab(_stage._in), Settings.KeepDeliveryResults);
            _inFlight.Enqueue(inFlight);
            _recordsInFlight += Weight(inFlight.Envelope);
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
                var record = records[i];
                if (!TrySerialize(record, out var key, out var value))
                    return;
                Error? error;
                try
                {
                    var timestampMs = record.Timestamp.Type == TimestampType.NotAvailable ? 0 : record.Timestamp.UnixTimestampMs;
                    error = _producer!.Produce(_producer.TopicHandle(record.Topic), key, value, timestampMs, record.Headers, inFlight.OpaqueOf(i));
                }
                catch (KafkaException e)
                {
                    FailStage(new KafkaProduceFailedException(record.Topic, e.Error, e));
                    return;
                }
                if (error is null)
                    continue;
                if (error.Code == ErrorCode.Local_QueueFull)
                {
                    _waitingForRoom = (inFlight, i);
                    ScheduleOnce(RetryTimer, QueueFullRetry);
                    return;
                }
                FailStage(new KafkaProduceFailedException(record.Topic, error, null));
                return;
            }
            _waitingForRoom = null;
            if (Volatile.Read(ref inFlight.Remaining) == 0)
                EmitCompleted();
            PullIfRoom();
        }

        /// <summary>The record's key and value bytes; false (the stage failed, naming the part) when a serializer throws.</summary>
        private bool TrySerialize(ProducerRecord<TKey, TValue> record, out byte[]? key, out byte[]? value)
        {
            key = value = null;
            var part = MessageComponentType.Key;
            try
            {
                key = Settings.KeySerializer.Serialize(record.Key, new SerializationContext(part, record.Topic, record.Headers));
                part = MessageComponentType.Value;
                value = Settings.ValueSerializer.Serialize(record.Value, new SerializationContext(part, record.Topic, record.Headers));
                return true;
            }
            catch (Exception e)
            {
                var code = part == MessageComponentType.Key ? ErrorCode.Local_KeySerialization : ErrorCode.Local_ValueSerialization;
                FailStage(new KafkaProduceFailedException(record.Topic, new Error(code, e.Message), e));
                return false;
            }
        }

        protected override void OnTimer(object timerKey)
        {
            if (_waitingForRoom is { } waiting)
                ProduceFrom(waiting.Envelope, waiting.Next);
        }

        // On the producer's poll thread. Whatever happens here, the record is counted: an envelope never waits forever.
        public void OnDelivered(NativeDeliveryReport report)
        {
            var inFlight = InFlight.Of(report.RecordOpaque, out var index);
            var failed = report.Error != ErrorCode.NoError;
            Exception? unreadable = null;
            try
            {
                // The record is read only when needed: an envelope may make it on each read (OutputRecordList).
                if (failed)
                {
                    inFlight.FailedTopic = inFlight.Envelope.Records[index].Topic;
                    inFlight.Error = _producer!.ErrorOf(report.Error);
                }
                else if (inFlight.Deliveries.Length > 0)
                {
                    var record = inFlight.Envelope.Records[index];
                    inFlight.Deliveries[index] = new DeliveryResult<TKey, TValue>
                    {
                        Topic = record.Topic,
                        Partition = new Partition(report.Partition),
                        Offset = new Offset(report.Offset),
                        Status = report.Status,
                        Message = new Message<TKey, TValue> { Key = record.Key, Value = record.Value, Timestamp = report.Timestamp, Headers = record.Headers },
                    };
                }
            }
            catch (Exception e)
            {
                // Not the record again (reading it is what may have thrown): the error must be set whatever happens.
                inFlight.FailedTopic ??= "(the record could not be read)";
                inFlight.Error = new Error(ErrorCode.Unknown, $"the delivery report could not be read: {e.Message}");
                (failed, unreadable) = (true, e);
            }
            finally
            {
                if (failed)
                    Interlocked.CompareExchange(ref _undeliverable, new KafkaProduceFailedException(inFlight.FailedTopic!, inFlight.Error!, unreadable), null);
                // The last touch of the envelope here: once its count is down, the stage may release it. A failure
                // wakes the stage at once.
                if (Interlocked.Decrement(ref inFlight.Remaining) == 0 || failed)
                    _deliveredCallback();
            }
        }

        private void OnReportsArrived()
        {
            // A full fence, not a release: the counts read next must not be read before the flag is down, or a report
            // counted in between would find the flag still up and never wake the stage.
            Interlocked.Exchange(ref _signalPending, 0);
            EmitCompleted();
            if (Volatile.Read(ref _undeliverable) is { } undeliverable && !IsClosed(_stage._out))
            {
                FailStage(undeliverable);
                return;
            }
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
                head.Release();
                _recordsInFlight -= Weight(head.Envelope);
                Push(_stage._out, new ProducerResults<TKey, TValue, TPassThrough>(head.Deliveries, head.Envelope.PassThrough));
            }
        }

        /// <summary>
        /// What an envelope counts towards max-in-flight-records: its records, and one for an envelope without any, so
        /// that empty envelopes (and the input records they pass through) cannot pile up without bound behind a head
        /// whose records wait for a leader.
        /// </summary>
        private static int Weight(ProducerEnvelope<TKey, TValue, TPassThrough> envelope) => Math.Max(1, envelope.Records.Count);

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
            if (_producer is null)
                return;
            // Everything emitted was acknowledged already. Stopped with records still out (a failure, an abrupt stop),
            // none of them will be emitted, so none of their offsets committed: those not yet sent are dropped, so that
            // none lands after one that failed (a record timed out after outage-tolerance does not stop the records
            // behind it: librdkafka's gapless guarantee leaves timeouts out), and those sent get flush-timeout to finish.
            if (_inFlight.Count > 0)
                _producer.PurgeUnsent();
            _producer.Flush(Settings.FlushTimeout);
            _producer.Dispose();
            // No report comes once the producer is gone.
            foreach (var inFlight in _inFlight)
                inFlight.Release();
        }
    }
}
