using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Entities;
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
/// visit's partition (ask, in order per partition) → every window update produced, keyed by URL, with acks=all → the
/// visit's offset committed once all its updates are acknowledged. A wall-clock tick, merged into the same stream, lets
/// idle partitions' counts decay. Backpressure holds end to end: the source pauses when asks or deliveries lag.
/// </summary>
public sealed class VisitProcessor
{
    private readonly ProcessorSettings _settings;
    private readonly TimeProvider _clock;
    private readonly PartitionRegistry _partitions;

    private VisitProcessor(IActorRefFactory actors, ProcessorSettings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        _partitions = new PartitionRegistry(actors, settings);
    }

    public ProcessorMetrics Metrics { get; } = new();

    /// <summary>The consumer's control: <c>DrainAndShutdownAsync(Completion)</c> is the graceful stop.</summary>
    public IConsumerControl Control { get; private set; } = null!;

    /// <summary>Completes after the last commit once the stream has drained, or fails with the stream's error.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts processing; the group resumes from its committed offsets (or <c>start-from</c> without any).</summary>
    public static VisitProcessor Start(ActorSystem system, KafkaSettings kafka, ProcessorSettings settings, TimeProvider? clock = null)
    {
        var processor = new VisitProcessor(system, settings, clock ?? TimeProvider.System);
        var materializer = system.Materializer();
        var consumerSettings = kafka.Consumer(settings.GroupId, Deserializers.ByteArray, Deserializers.ByteArray);
        consumerSettings.Config.AutoOffsetReset = settings.StartFrom;
        var (control, visits) = KafkaConsumer.CommittableSource(consumerSettings, settings.InputTopic).PreMaterialize(materializer);
        processor.Control = control;

        var ticks = Source.Tick(settings.TickInterval, settings.TickInterval, NotUsed.Instance)
            .Select(_ => new ProcessorInput(null, processor._clock.GetUtcNow()))
            .MapMaterializedValue(_ => NotUsed.Instance);
        processor.Completion = visits
            .Select(message => new ProcessorInput(message, processor._clock.GetUtcNow()))
            // The tick source never ends: the stream completes when the visits do.
            .Merge(ticks, eagerComplete: true)
            .SelectAsync(settings.Parallelism, processor.HandleAsync)
            .Via(KafkaProducer.FlexiFlow<byte[], byte[], CommittableMessage<byte[], byte[]>?>(kafka.Producer(Serializers.ByteArray, Serializers.ByteArray)))
            // Ticks carry no input record (and a stream element is never null).
            .Where(results => results.PassThrough is not null)
            .Select(results => processor.Acknowledged(results.PassThrough!))
            .RunWith(Committer.Sink(kafka.Committer), materializer);
        processor.Completion.ContinueWith(_ => processor._partitions.StopAll(), TaskScheduler.Default);
        return processor;
    }

    private Task<ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?>> HandleAsync(ProcessorInput input) =>
        input.Message is { } message ? HandleVisitAsync(message, input.ReadAt) : HandleTickAsync(input.ReadAt);

    private async Task<ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?>> HandleVisitAsync(CommittableMessage<byte[], byte[]> message, DateTimeOffset readAt)
    {
        var record = message.Record;
        if (!TryValidate(record, readAt, out var visit, out var reason))
        {
            Metrics.AddDeadLetter();
            return ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?>.Single(
                OutputRecords.DeadLetter(_settings.DeadLetterTopic, record, reason), message);
        }
        var partition = _partitions.For(record.TopicPartition, message.CommittableOffset.AssignmentEpoch);
        var updated = await partition.Ask<Updated>(new CountVisit(visit.Url, visit.Timestamp, readAt), _settings.AskTimeout);
        Metrics.AddVisit(updated.Late);
        return Envelope(updated, message);
    }

    private async Task<ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?>> HandleTickAsync(DateTimeOffset now)
    {
        var partitions = _partitions.Retain(Control.Assignment);
        var answers = await Task.WhenAll(partitions.Select(p => p.Ask<Updated>(new Tick(now), _settings.AskTimeout)));
        return Envelope(new Updated(answers.SelectMany(a => a.Updates).ToList(), Late: false), null);
    }

    /// <summary>A countable visit, or the reason the record is not one.</summary>
    private bool TryValidate(ConsumeResult<byte[], byte[]> record, DateTimeOffset readAt, out Visit visit, out string reason)
    {
        visit = null!;
        if (record.Message.Value is null)
        {
            reason = "no value";
            return false;
        }
        if (!VisitJson.TryParse(record.Message.Value, out var parsed, out var error))
        {
            reason = error!;
            return false;
        }
        if (parsed!.Timestamp > readAt + _settings.MaxFutureSkew)
        {
            reason = $"timestamp more than {_settings.MaxFutureSkew.TotalSeconds:0} s ahead of the wall clock";
            return false;
        }
        visit = parsed;
        reason = "";
        return true;
    }

    private ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?> Envelope(Updated updated, CommittableMessage<byte[], byte[]>? input)
    {
        Metrics.AddUpdates(updated.Updates.Count);
        return ProducerEnvelope<byte[], byte[], CommittableMessage<byte[], byte[]>?>.Multi(OutputRecords.Updates(updated.Updates), input);
    }

    /// <summary>Every output of <paramref name="input"/> is acknowledged: its offset may be committed.</summary>
    private CommittableOffset Acknowledged(CommittableMessage<byte[], byte[]> input)
    {
        if (input.Record.Message.Timestamp.Type != TimestampType.NotAvailable)
            Metrics.RecordLatency(_clock.GetUtcNow() - input.Record.Message.Timestamp.UtcDateTime);
        return input.CommittableOffset;
    }

    /// <summary>A consumed visit record, or a wall-clock tick when <paramref name="Message"/> is null.</summary>
    private sealed record ProcessorInput(CommittableMessage<byte[], byte[]>? Message, DateTimeOffset ReadAt);
}
