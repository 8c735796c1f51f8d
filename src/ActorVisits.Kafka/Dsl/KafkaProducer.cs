using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using Akka;
using Akka.Streams.Dsl;

namespace ActorVisits.Kafka.Dsl;

public static class KafkaProducer
{
    /// <summary>
    /// Produces every record of each envelope and emits the envelope's results, in order, once all of them are
    /// acknowledged. The pass-through (for instance a committable offset) reaches the committer only after that.
    /// </summary>
    public static Flow<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResults<TKey, TValue, TPassThrough>, NotUsed> FlexiFlow<TKey, TValue, TPassThrough>(
        ProducerSettings<TKey, TValue> settings) =>
        Flow.FromGraph(new ProducerFlowStage<TKey, TValue, TPassThrough>(settings));
}
