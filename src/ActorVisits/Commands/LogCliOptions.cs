using System.CommandLine;
using ActorVisits.Hosting;
using Akka.Configuration;

namespace ActorVisits.Commands;

/// <summary>The flags of the log pipeline, over <c>actorvisits.log</c>.</summary>
internal sealed class LogCliOptions
{
    private readonly Option<string?> _format = new("--log-format")
    {
        Description = "plain (one line per event, for a terminal) or json (one JSON object per line, for a container's log collector). Default: actorvisits.log.format (plain).",
    };

    private readonly Option<string?> _level = new("--log-level")
    {
        Description = "Least level logged: trace, debug, information, warning or error. Default: actorvisits.log.level (information).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_format);
        command.Options.Add(_level);
    }

    public LogOptions Resolve(ParseResult parse, Config config)
    {
        var options = LogOptions.FromConfig(config);
        return new LogOptions(
            parse.GetValue(_format) is { } format ? LogOptions.ParseFormat(format, "--log-format") : options.Format,
            parse.GetValue(_level) is { } level ? LogOptions.ParseLevel(level, "--log-level") : options.Level);
    }
}
