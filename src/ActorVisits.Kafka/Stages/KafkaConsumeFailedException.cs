using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>The consumer could not hand out a record (deserialization or broker error); the source fails rather than skip it.</summary>
public sealed class KafkaConsumeFailedException(ConsumeException inner)
    : Exception($"Consuming{Where(inner)} failed: {inner.Error.Reason}", inner)
{
    /// <summary>The record's place when the error names one (not for a topic-wide error, whose offset is unset).</summary>
    private static string Where(ConsumeException e) =>
        e.ConsumerRecord?.TopicPartitionOffset is { } at && !at.Offset.IsSpecial ? $" {at.Topic} [{at.Partition.Value}] at offset {at.Offset.Value}" : "";
}
