namespace ActorVisits.Kafka.Messages;

/// <summary>Commits offsets read by one consumer, in the order requested.</summary>
public interface IOffsetCommitter
{
    /// <summary>Commits, for each partition, the position after the highest offset given. Completes when the broker answered.</summary>
    Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets);
}
