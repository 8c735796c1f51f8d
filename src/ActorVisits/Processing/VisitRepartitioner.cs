using ActorVisits.Kafka.Settings;
using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Entities;
using ActorVisits.Kafka;
using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// Re-keys visits by URL (<c>repartition = on</c>): reads the input whatever its keys, produces each valid visit to the
/// repartition topic keyed by its URL with acks=all, naming its source partition and offset in headers, and commits an
/// input offset once its record is acknowledged; invalid records go to the dead-letter topic. Each URL then lives in
/// one partition of the repartition topic, with one owner and one clock. At-least-once: after a restart or a rebalance
/// the uncommitted tail is produced again, and the counting side skips those copies by their source offsets.
/// </summary>
internal static class VisitRepartitioner
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates the repartition topic if missing, with the input's partition count, then starts re-keying.</summary>
    public static (IConsumerControl Control, Task Completion) Start(ActorSystem system, KafkaSettings kafka, ProcessorSettings settings, ProcessorMetrics metrics, TimeProvider clock)
    {
        EnsureTopicAsync(kafka, settings).GetAwaiter().GetResult();
        var consumerSettings = kafka.Consumer(settings.GroupId, Deserializers.ByteArray, Deserializers.ByteArray) with { FromBeginning = settings.FromBeginning };
        consumerSettings.Config.AutoOffsetReset = settings.StartFrom;
        IConsumerControl control = null!;
        // One graph, consumer to committer (see VisitProcessor); the control is set while it is materialized.
        var completion = KafkaConsumer.CommittableSource(consumerSettings, settings.InputTopic)
            .MapMaterializedValue(materialized => control = materialized)
            .Select(message => ProducerEnvelope<byte[], byte[], CommittableOffset>.Single(Rekeyed(message.Record, settings, metrics, clock), message.CommittableOffset))
            .Via(KafkaProducer.FlexiFlow<byte[], byte[], CommittableOffset>(CopyProducer(kafka)))
            .Select(results => results.PassThrough)
            .RunWith(Committer.Sink(kafka.Committer), system.Materializer());
        return (control, completion);
    }

    /// <summary>
    /// The copies' producer. Gapless: the counting side skips a copy whose source offset is not above the highest it
    /// counted from that source partition, so a copy that timed out (a broker away for <c>outage-tolerance</c>) must not
    /// be followed by a later one landing, or the first, produced again after the restart, would be skipped as counted
    /// and its visit lost. With the gapless guarantee such a failure is fatal to the producer at once.
    /// </summary>
    internal static ProducerSettings<byte[], byte[]> CopyProducer(KafkaSettings kafka)
    {
        var producer = kafka.Producer(Serializers.ByteArray, Serializers.ByteArray) with { KeepDeliveryResults = false };
        // Changes delivery: a gap in the idempotent sequence fails the producer instead of letting later records through.
        producer.Config.EnableGaplessGuarantee = true;
        return producer;
    }

    /// <summary>
    /// A valid visit re-keyed by URL, else its dead letter; a record whose handling throws goes where
    /// <c>on-record-error</c> says, as on the counting side.
    /// </summary>
    private static ProducerRecord<byte[], byte[]> Rekeyed(ConsumeResult<byte[], byte[]> record, ProcessorSettings settings, ProcessorMetrics metrics, TimeProvider clock)
    {
        Rejection rejection;
        try
        {
            if (VisitValidation.TryValidate(record, clock.GetUtcNow(), settings.MaxFutureSkew, settings.MaxVisitBytes, null, out var url, out _, out rejection))
            {
                metrics.AddRepartitioned();
                return OutputRecords.Repartitioned(settings.RepartitionTopicName, record, url);
            }
        }
        catch (Exception e)
        {
            var error = WindowsProtocol.VisitFailure.Describe(e);
            if (settings.OnRecordError == RecordErrorPolicy.Stop)
                throw new RecordProcessingException(record.TopicPartitionOffset, error);
            rejection = new Rejection(Rejection.InternalError, error);
        }
        metrics.AddDeadLetter(rejection.Code);
        return OutputRecords.DeadLetter(settings.DeadLetterTopic, record, rejection, settings.DeadLetterMaxBytes);
    }

    private static async Task EnsureTopicAsync(KafkaSettings kafka, ProcessorSettings settings)
    {
        var config = kafka.Client();
        Metadata metadata;
        using (var admin = new AdminClientBuilder(config).SetLogHandler(KafkaLog.For(config)).Build())
            metadata = admin.GetMetadata(MetadataTimeout);
        if (metadata.Topics.Any(t => t.Topic == settings.RepartitionTopicName && t.Error.Code == ErrorCode.NoError))
            return;
        var input = metadata.Topics.SingleOrDefault(t => t.Topic == settings.InputTopic && t.Error.Code == ErrorCode.NoError)
                    ?? throw new InvalidOperationException($"Topic '{settings.InputTopic}' does not exist on {kafka.BootstrapServers}.");
        await using var cluster = new KafkaAdmin(config);
        await cluster.EnsureTopicsAsync([new TopicSpec(settings.RepartitionTopicName, input.Partitions.Count, Math.Min(3, metadata.Brokers.Count))], CancellationToken.None);
    }
}
