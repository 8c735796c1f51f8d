using System.Globalization;

namespace ActorVisits.Kafka.Admin;

/// <summary>Where to move a consumer group: the start of each partition, its end, or the first record at or after a time.</summary>
public abstract partial record OffsetTarget
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
            // ISO-8601 only: "03/04/2019" or "10:00" would be read in some culture's order, or as today. Without an
            // offset it is UTC, as a date alone is its midnight in UTC.
            _ => IsoTime().IsMatch(text.Trim()) && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
                ? new AtTime(time)
                : null,
        };
        return target is not null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex IsoTime();
}
