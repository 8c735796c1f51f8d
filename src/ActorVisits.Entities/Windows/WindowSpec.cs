namespace ActorVisits.Entities.Windows;

/// <summary>A sliding window of whole seconds, its name in output records, and the topic its updates go to.</summary>
public sealed record WindowSpec(string Name, int Seconds, string Topic)
{
    public int Seconds { get; } = Seconds > 0 ? Seconds : throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, "A window lasts at least one second.");
}
