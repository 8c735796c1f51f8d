namespace ActorVisits.Actors;

/// <summary>How many URL actors the partition actors of a process keep alive (a gauge for operators); shared by them.</summary>
public sealed class UrlActorCount
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    internal void Add(long delta) => Interlocked.Add(ref _value, delta);
}
