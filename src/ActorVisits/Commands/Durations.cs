using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ActorVisits.Commands;

/// <summary>Durations on the command line: <c>500ms</c>, <c>60s</c>, <c>5m</c>, <c>1h</c>, or <c>hh:mm:ss</c>.</summary>
internal static class Durations
{
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = Parse,
    };

    private static TimeSpan? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value.Trim();
        if (TryParse(text, out var duration) && duration > TimeSpan.Zero)
            return duration;
        result.AddError($"'{text}' is not a positive duration; use e.g. 500ms, 60s, 5m, 1h or 00:01:00.");
        return null;
    }

    public static bool TryParse(string text, out TimeSpan duration)
    {
        (string Suffix, Func<double, TimeSpan> Make)[] units =
            [("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours)];
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                duration = make(amount);
                return true;
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }
}
