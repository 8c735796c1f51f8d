using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ActorVisits.Commands;

/// <summary>Durations on the command line: <c>500ms</c>, <c>60s</c>, <c>5m</c>, <c>1h</c>, or <c>hh:mm:ss</c>; a bare number is refused (its unit would be a guess).</summary>
internal static class Durations
{
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = Parse,
    };

    /// <summary>The longest duration taken: timers and HTTP time-outs refuse more than about 24.8 days.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(24);

    private static TimeSpan? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value.Trim();
        if (TryParse(text, out var duration) && duration > TimeSpan.Zero)
        {
            if (duration <= Longest)
                return duration;
            result.AddError($"'{text}' is longer than {Longest.TotalDays:0} days, the longest duration taken here.");
            return null;
        }
        result.AddError(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? $"'{text}' has no unit; use e.g. {text}ms, {text}s, {text}m or {text}h."
            : $"'{text}' is not a positive duration; use e.g. 500ms, 60s, 5m, 1h or 00:01:00.");
        return null;
    }

    /// <summary><c>2 d 3 h</c>, <c>90 min</c>, <c>45 s</c>: the largest units that say it.</summary>
    public static string Describe(TimeSpan duration) =>
        duration.TotalDays >= 1 ? $"{(int)duration.TotalDays} d{(duration.Hours > 0 ? $" {duration.Hours} h" : "")}"
        : duration.TotalHours >= 1 ? $"{(int)duration.TotalHours} h{(duration.Minutes > 0 ? $" {duration.Minutes} min" : "")}"
        : duration.TotalMinutes >= 1 ? $"{(int)duration.TotalMinutes} min{(duration.Seconds > 0 ? $" {duration.Seconds} s" : "")}"
        : $"{duration.TotalSeconds:0.###} s";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        (string Suffix, Func<double, TimeSpan> Make)[] units =
            [("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours)];
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                try
                {
                    duration = make(amount);
                    return true;
                }
                catch (Exception e) when (e is OverflowException or ArgumentException)
                {
                    // Beyond what a TimeSpan holds (or not a number of it): not a duration.
                    duration = TimeSpan.MaxValue;
                    return !double.IsNaN(amount) && amount > 0;
                }
            }
        }
        // hh:mm:ss only: a bare number would be read as days.
        duration = default;
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }
}
