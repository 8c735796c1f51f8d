namespace ActorVisits.Generation;

/// <summary>
/// What to generate: <see cref="Rate"/> visits per second (0: as fast as the producer goes) until <see cref="Count"/>
/// visits or <see cref="Duration"/> have passed (neither: until cancelled), over <see cref="Urls"/> catalogue pages.
/// </summary>
public sealed record GeneratorOptions(string Topic, int Rate, long? Count, TimeSpan? Duration, int Urls, int? Seed)
{
    public void Validate()
    {
        if (Rate < 0)
            throw new ArgumentException("--rate must be 0 (unlimited) or more.");
        if (Count is < 0)
            throw new ArgumentException("--count must be positive.");
        if (Duration is { } duration && duration <= TimeSpan.Zero)
            throw new ArgumentException("--duration must be positive.");
        if (Count is not null && Duration is not null)
            throw new ArgumentException("Give --count or --duration, not both.");
        if (Urls <= 0)
            throw new ArgumentException("--urls must be positive.");
    }
}

/// <summary>
/// Progress of a generator run; <see cref="Acknowledged"/> counts records every in-sync replica has.
/// <see cref="StoppedBy"/>: why a run ended early on an error no wait cures (an unknown topic), else null.
/// </summary>
public sealed record GeneratorProgress(long Sent, long Acknowledged, long Failed, TimeSpan Elapsed, string? StoppedBy = null)
{
    public double AcknowledgedPerSecond => Elapsed > TimeSpan.Zero ? Acknowledged / Elapsed.TotalSeconds : 0;
}
