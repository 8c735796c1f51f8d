namespace ActorVisits.Kafka.Settings;

/// <summary>
/// When a committer sink commits: after <see cref="MaxBatch"/> processed records (each offset counting as its
/// <see cref="Messages.CommittableOffset.Records"/>) or <see cref="MaxInterval"/>, whichever comes first. A batch of 1
/// commits after every message; larger batches trade a longer replayed tail for fewer commits.
/// </summary>
public sealed record CommitterSettings
{
    public int MaxBatch { get; init; } = 1000;

    public TimeSpan MaxInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Commit requests in flight at once; requests to one consumer are still served in order.</summary>
    public int Parallelism { get; init; } = 4;

    public static CommitterSettings Default { get; } = new();

    public CommitterSettings Validated()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBatch, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Parallelism, nameof(Parallelism));
        if (MaxInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxInterval), MaxInterval, "The commit interval must be positive.");
        return this;
    }
}
