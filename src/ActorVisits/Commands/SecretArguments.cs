using System.CommandLine;
using ActorVisits.Kafka.Settings;

namespace ActorVisits.Commands;

/// <summary>
/// Parse errors repeat the arguments they could not match: a secret given as <c>key=value</c> to a misspelt option
/// (<c>-x sasl.password=...</c>) would be written to the terminal and the container's log. Such arguments are shown
/// with their value masked.
/// </summary>
internal static partial class SecretArguments
{
    /// <summary>Writes <paramref name="parse"/>'s errors with every secret argument masked; false when none needs masking (the default output then).</summary>
    public static bool TryReportMasked(ParseResult parse, IReadOnlyList<string> args, TextWriter error)
    {
        // Longest first: a secret that contains another is masked whole.
        var secrets = Secrets(args).Where(s => s.Text.Length > 0).DistinctBy(s => s.Text).OrderByDescending(s => s.Text.Length).ToList();
        if (parse.Errors.Count == 0 || secrets.Count == 0)
            return false;
        foreach (var message in parse.Errors.Select(e => e.Message))
            error.WriteLine(secrets.Aggregate(message, (text, secret) => text.Replace(secret.Text, secret.Masked, StringComparison.Ordinal)));
        var names = new List<string>();
        for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, command.Command.Name);
        error.WriteLine($"See '{string.Join(' ', names)} --help'.");
        return true;
    }

    /// <summary>
    /// The arguments that hold a secret, each with what is shown instead: <c>key=value</c> with a secret key, also after
    /// a misspelt option (<c>--proprety=sasl.password=...</c>); and the argument after a secret key given alone, as a
    /// space instead of '=' makes (<c>-X sasl.password hunter2</c>).
    /// </summary>
    private static IEnumerable<(string Text, string Masked)> Secrets(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            var keyStart = 0;
            var found = false;
            for (var separator = argument.IndexOf('='); separator >= 0 && !found; separator = argument.IndexOf('=', separator + 1))
            {
                if (ClientProperties.IsSecret(argument[keyStart..separator]))
                {
                    found = true;
                    yield return (argument, argument[..(separator + 1)] + ClientProperties.Masked);
                }
                keyStart = separator + 1;
            }
            // A property key (dotted, as librdkafka's are) right after an option, its value apart: -X sasl.password hunter2.
            if (!found && i > 0 && args[i - 1].StartsWith('-') && PropertyKey().IsMatch(argument) && ClientProperties.IsSecret(argument)
                && i + 1 < args.Count && args[i + 1].Length > 0)
                yield return (args[i + 1], ClientProperties.Masked);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$")]
    private static partial System.Text.RegularExpressions.Regex PropertyKey();
}
