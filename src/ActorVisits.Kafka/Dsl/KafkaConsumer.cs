using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using Akka.Streams.Dsl;

namespace ActorVisits.Kafka.Dsl;

public static class KafkaConsumer
{
    /// <summary>
    /// Records of <paramref name="topics"/> for the settings' consumer group, each with the offset to commit after it is
    /// processed (through <see cref="Committer.Sink"/>). Backpressure pauses the consumer; the materialized control stops,
    /// drains and shuts it down.
    /// </summary>
    public static Source<CommittableMessage<TKey, TValue>, IConsumerControl> CommittableSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, params string[] topics)
    {
        if (topics.Length == 0)
            throw new ArgumentException("Subscribe to at least one topic.", nameof(topics));
        return Source.FromGraph(new CommittableSourceStage<TKey, TValue>(settings, topics));
    }
}
