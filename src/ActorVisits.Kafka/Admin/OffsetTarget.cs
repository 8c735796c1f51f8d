using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorVisits.Kafka.Admin;

/// <summary>
/// Where to move a consumer group on each partition: its start, its end, the first record at or after a time (given
/// as such or as a duration before now), an offset, or the group's committed offset shifted by a number of records.
/// Offsets outside a partition's log are moved to its nearer end, as Kafka's own tool does.
/// </summary>
public abstract partial record OffsetTarget
{
    private OffsetTarget() { }

    public sealed record Earliest : OffsetTarget;

    public sealed record Latest : OffsetTarget;

    public sealed record AtTime(DateTimeOffset Time) : OffsetTarget;

    /// <summary>The first record at or after <see cref="Duration"/> before the moment the reset is resolved.</summary>
    public sealed record Ago(TimeSpan Duration) : OffsetTarget;

    /// <summary>The same offset on every partition chosen (a partition's log start or end when it is outside the log).</summary>
    public sealed record ToOffset(long Offset) : OffsetTarget;

    /// <summary>The group's committed offset plus <see cref="Records"/> (negative: back); a partition without one is refused.</summary>
    public sealed record ShiftBy(long Records) : OffsetTarget;

    /// <summary>What <c>--reset</c> takes, for help texts and errors.</summary>
    public const string Forms =
        "'earliest', 'latest', an ISO-8601 time (2019-03-02T09:21:05Z), a duration back from now (1h, 30m, 2d or PT1H), " +
        "an offset (1234) or a shift from the committed offset (-1000, +500)";

    public static bool TryParse(string text, out OffsetTarget? target)
    {
        var trimmed = text.Trim();
        target = trimmed.ToLowerInvariant() switch
        {
            "earliest" => new Earliest(),
            "latest" => new Latest(),
            _ when Shift().IsMatch(trimmed) && long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var records) => new ShiftBy(records),
            _ when OffsetNumber().IsMatch(trimmed) && long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) => new ToOffset(offset),
            _ when TryParseDuration(trimmed, out var duration) => new Ago(duration),
            // ISO-8601 only: "03/04/2019" or "10:00" would be read in some culture's order, or as today. Without an
            // offset it is UTC, as a date alone is its midnight in UTC.
            _ => IsoTime().IsMatch(trimmed) && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
                ? new AtTime(time)
                : null,
        };
        return target is not null;
    }

    /// <summary>A positive duration: <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>, or ISO-8601's <c>PT1H30M</c> / <c>P1D</c>.</summary>
    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        try
        {
            if (Short().Match(text) is { Success: true } match)
            {
                var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                duration = match.Groups[2].Value.ToLowerInvariant() switch
                {
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    _ => TimeSpan.FromDays(amount),
                };
            }
            else if (IsoDuration().IsMatch(text))
                duration = System.Xml.XmlConvert.ToTimeSpan(text.ToUpperInvariant());
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
        return duration > TimeSpan.Zero;
    }

    [GeneratedRegex(@"^[+-]\d{1,18}$")]
    private static partial Regex Shift();

    [GeneratedRegex(@"^\d{1,18}$")]
    private static partial Regex OffsetNumber();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([smhd])$", RegexOptions.IgnoreCase)]
    private static partial Regex Short();

    [GeneratedRegex(@"^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoDuration();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoTime();
}
