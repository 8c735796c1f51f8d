using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Stages;
using Akka.Streams.Dsl;

namespace ActorVisits.Kafka.Dsl;

public static class Committer
{
    /// <summary>
    /// Commits offsets of processed records in batches (<see cref="CommitterSettings"/>). The task completes after the
    /// final commit once upstream has finished, or fails with the first commit error.
    /// </summary>
    public static Sink<CommittableOffset, Task> Sink(CommitterSettings settings) =>
        Akka.Streams.Dsl.Sink.FromGraph(new CommitterSinkStage(settings));
}
