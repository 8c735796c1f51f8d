using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>A record could not be produced or was not acknowledged; the producer flow fails rather than drop it.</summary>
public sealed class KafkaProduceFailedException(string topic, Error error, Exception? inner)
    : Exception($"Producing to '{topic}' failed: {error.Reason} ({error.Code})", inner)
{
    public Error Error { get; } = error;
}
