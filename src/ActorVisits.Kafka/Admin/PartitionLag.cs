namespace ActorVisits.Kafka.Admin;

/// <summary>A group's position in one partition. <see cref="Committed"/> is null when the group never committed there.</summary>
public sealed record PartitionLag(int Partition, long? Committed, long LogStart, long End)
{
    /// <summary>Records the group still has to read; without a commit, what it would read from the log start.</summary>
    public long Lag => End - Math.Max(Committed ?? LogStart, LogStart);
}
