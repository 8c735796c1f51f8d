using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>The consumer could not hand out a record (deserialization or broker error); the source fails rather than skip it.</summary>
public sealed class KafkaConsumeFailedException(ConsumeException inner)
    : Exception($"Consuming {inner.ConsumerRecord?.TopicPartitionOffset} failed: {inner.Error.Reason}", inner);
