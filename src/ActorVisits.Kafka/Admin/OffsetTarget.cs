using System.Globalization;

namespace ActorVisits.Kafka.Admin;

/// <summary>Where to move a consumer group: the start of each partition, its end, or the first record at or after a time.</summary>
public abstract record OffsetTarget
{
    private OffsetTarget() { }

    public sealed record Earliest : OffsetTarget;

    public sealed record Latest : OffsetTarget;

    public sealed record AtTime(DateTimeOffset Time) : OffsetTarget;

    public static bool TryParse(string text, out OffsetTarget? target)
    {
        target = text.Trim().ToLowerInvariant() switch
        {
            "earliest" => new Earliest(),
            "latest" => new Latest(),
            _ => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
                ? new AtTime(time)
                : null,
        };
        return target is not null;
    }
}
