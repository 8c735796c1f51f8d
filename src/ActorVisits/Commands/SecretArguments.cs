using System.CommandLine;
using ActorVisits.Kafka.Settings;

namespace ActorVisits.Commands;

/// <summary>
/// Parse errors repeat the arguments they could not match: a secret given as <c>key=value</c> to a misspelt option
/// (<c>-x sasl.password=...</c>) would be written to the terminal and the container's log. Such arguments are shown
/// with their value masked.
/// </summary>
internal static class SecretArguments
{
    /// <summary>Writes <paramref name="parse"/>'s errors with every secret argument masked; false when none needs masking (the default output then).</summary>
    public static bool TryReportMasked(ParseResult parse, IReadOnlyList<string> args, TextWriter error)
    {
        var secrets = args.Where(IsSecret).Distinct().ToList();
        if (parse.Errors.Count == 0 || secrets.Count == 0)
            return false;
        foreach (var message in parse.Errors.Select(e => e.Message))
            error.WriteLine(secrets.Aggregate(message, (text, secret) => text.Replace(secret, Masked(secret), StringComparison.Ordinal)));
        var names = new List<string>();
        for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, command.Command.Name);
        error.WriteLine($"See '{string.Join(' ', names)} --help'.");
        return true;
    }

    private static bool IsSecret(string argument) => ClientProperties.TrySplit(argument, out var property) && ClientProperties.IsSecret(property.Key);

    private static string Masked(string argument) => argument[..(argument.IndexOf('=') + 1)] + ClientProperties.Masked;
}
