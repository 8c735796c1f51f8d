using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Stages;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Dsl;

/// <summary>Controls a running committable source, as Akka.Streams.Kafka's <c>IControl</c> does.</summary>
public interface IConsumerControl
{
    /// <summary>Completes the source: no more records are emitted, but the consumer stays in its group to serve commits.</summary>
    void Stop();

    /// <summary>Serves pending commits, leaves the group and closes the consumer; completes when it is closed.</summary>
    Task ShutdownAsync();

    /// <summary>
    /// Graceful stop: stop emitting, let every in-flight element reach the committer (<paramref name="streamCompletion"/>
    /// is the committer sink's task), then shut the consumer down. Nothing processed is left uncommitted.
    /// </summary>
    async Task DrainAndShutdownAsync(Task streamCompletion)
    {
        Stop();
        try
        {
            await streamCompletion;
        }
        finally
        {
            await ShutdownAsync();
        }
    }

    /// <summary>Partitions this consumer is assigned now.</summary>
    IReadOnlyCollection<TopicPartition> Assignment { get; }

    /// <summary>Partitions this consumer is assigned now, with their assignment epoch and committed offset.</summary>
    IReadOnlyList<AssignedPartition> AssignedPartitions { get; }

    /// <summary>
    /// Whether <paramref name="partition"/> is still assigned under <paramref name="epoch"/>: a record read under an
    /// assignment that ended is read again by the partition's new owner, and is never committed.
    /// </summary>
    bool IsAssigned(TopicPartition partition, long epoch);

    /// <summary>The assignment of <paramref name="partition"/> now, if it is assigned.</summary>
    bool TryGetAssignment(TopicPartition partition, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AssignedPartition? assignment);

    ConsumerMetrics Metrics { get; }
}
