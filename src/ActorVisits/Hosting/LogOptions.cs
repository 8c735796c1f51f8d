using ActorVisits.Kafka.Settings;
using Akka.Configuration;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Hosting;

/// <summary>How log lines look: plain for a terminal, one JSON object per line for a container's log collector.</summary>
public enum LogFormat
{
    Plain,
    Json,
}

/// <summary>The <c>actorvisits.log</c> section: the format and the least level of the one log pipeline (program, Akka, librdkafka).</summary>
public sealed record LogOptions(LogFormat Format, LogLevel Level)
{
    public const string Section = "actorvisits.log";

    public static LogOptions Default { get; } = new(LogFormat.Plain, LogLevel.Information);

    public static LogOptions FromConfig(Config config)
    {
        var log = new ConfigReader(config, Section);
        return new LogOptions(ParseFormat(log.String("format"), $"Configuration key '{Section}.format'"), ParseLevel(log.String("level"), $"Configuration key '{Section}.level'"));
    }

    public static LogFormat ParseFormat(string text, string what) => text.ToLowerInvariant() switch
    {
        "plain" => LogFormat.Plain,
        "json" => LogFormat.Json,
        _ => throw new InvalidConfigurationException($"{what} must be plain or json (got '{text}')."),
    };

    public static LogLevel ParseLevel(string text, string what) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new InvalidConfigurationException($"{what} must be trace, debug, information, warning or error (got '{text}')."),
    };
}
