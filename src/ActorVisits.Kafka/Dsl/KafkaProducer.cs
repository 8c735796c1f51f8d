using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using Akka;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Dsl;

public static class KafkaProducer
{
    /// <summary>
    /// Produces every record of each envelope and emits the envelope's results, in order, once all of them are
    /// acknowledged. The pass-through (for instance a committable offset) reaches the committer only after that.
    /// </summary>
    public static Flow<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>, NotUsed> FlexiFlow<TKey, TValue, TPassThrough>(
        ProducerSettings<TKey, TValue> settings) =>
        Flow.FromGraph(new ProducerFlowStage<TKey, TValue, TPassThrough>(settings, sharedProducer: null));

    /// <summary>The same flow on a producer owned by the caller (several flows may share it; the caller disposes it).</summary>
    public static Flow<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>, NotUsed> FlexiFlow<TKey, TValue, TPassThrough>(
        ProducerSettings<TKey, TValue> settings, IProducer<TKey, TValue> producer) =>
        Flow.FromGraph(new ProducerFlowStage<TKey, TValue, TPassThrough>(settings, producer));
}
