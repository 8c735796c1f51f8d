using ActorVisits.Entities.Windows;

namespace ActorVisits.Actors;

/// <summary>Messages between the processing stream, the partition actors and their URL actors.</summary>
public static class WindowsProtocol
{
    /// <summary>A valid visit of <paramref name="Url"/> at <paramref name="EventTime"/>, read at <paramref name="ArrivedAt"/> (wall clock).</summary>
    public sealed record CountVisit(string Url, DateTimeOffset EventTime, DateTimeOffset ArrivedAt);

    /// <summary>Wall-clock tick: an idle, live partition moves its stream time to <paramref name="WallNow"/>.</summary>
    public sealed record Tick(DateTimeOffset WallNow);

    /// <summary>
    /// Stop after answering every request received before this one (a poison pill would stop a partition actor while
    /// its URL actors' answers are still on their way, and leave those requests unanswered).
    /// </summary>
    public sealed record StopPartition
    {
        public static StopPartition Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="CountVisit"/> and <see cref="Tick"/>: every (URL, window) whose count changed.</summary>
    public sealed record Updated(IReadOnlyList<WindowUpdate> Updates, bool Late)
    {
        public static Updated Nothing { get; } = new([], Late: false);

        public static Updated LateVisit { get; } = new([], Late: true);
    }

    /// <summary>To a URL actor: move the clock to <paramref name="Now"/>, then count a visit of <paramref name="Second"/>.</summary>
    internal sealed record AddVisit(string Url, long Second, long Now, long Request);

    /// <summary>To a URL actor: move the clock to <paramref name="Now"/>.</summary>
    internal sealed record AdvanceTo(long Now, long Request);

    /// <summary>
    /// A URL actor's answer to the partition actor's <paramref name="Request"/>; <paramref name="Empty"/> when all its
    /// windows are zero (it may be passivated).
    /// </summary>
    internal sealed record UrlChanged(string Url, IReadOnlyList<WindowUpdate> Updates, bool Empty, long Request);
}
