using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorVisits.Kafka;

/// <summary>
/// Where librdkafka's own log lines and the stages' go: the application's <see cref="ILoggerFactory"/>, set once by the
/// host (librdkafka's logging is process-wide too). librdkafka's warnings and errors are written, and everything when a
/// client has a <c>debug</c> property. A client that cannot reach its brokers repeats the same line many times a
/// second; a line that differs only in its figures is written once per <see cref="RepeatWindow"/>, with how often it
/// was suppressed. librdkafka never logs credentials (it redacts secret properties), so its lines are written as they are.
/// </summary>
public static partial class KafkaLog
{
    private static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(10);

    /// <summary>The application's logging; nothing is written until a host sets it.</summary>
    public static ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>A logger of the application's logging, for the stages' own lines.</summary>
    public static ILogger Logger(string category) => LoggerFactory.CreateLogger(category);

    /// <summary>A Confluent.Kafka client's log handler writing as <see cref="Writer"/> does.</summary>
    public static Action<IClient, LogMessage> For(IEnumerable<KeyValuePair<string, string>> config)
    {
        var write = Writer(config);
        return (_, message) => write(message);
    }

    /// <summary>Writes a client's librdkafka log lines: warnings and worse (everything with <c>debug</c>), repeats folded.</summary>
    public static Action<LogMessage> Writer(IEnumerable<KeyValuePair<string, string>> config)
    {
        var verbose = config.Any(p => p.Key == "debug" && !string.IsNullOrWhiteSpace(p.Value));
        var lastWritten = new ConcurrentDictionary<string, (DateTime At, int Suppressed)>();
        var logger = Logger("librdkafka");
        return message =>
        {
            if (!verbose && message.Level > SyslogLevel.Warning)
                return;
            // Client properties apply to every client: a consumer's property on a producer is expected, not a problem.
            if (!verbose && message.Facility == "CONFWARN" && message.Message.Contains("will be ignored by this", StringComparison.Ordinal))
                return;
            var now = DateTime.UtcNow;
            var shape = $"{message.Facility}:{Figures().Replace(message.Message, "#")}";
            var suppressed = 0;
            var write = verbose;
            lastWritten.AddOrUpdate(shape, _ => { write = true; return (now, 0); }, (_, last) =>
            {
                if (verbose || now - last.At >= RepeatWindow)
                {
                    write = true;
                    suppressed = last.Suppressed;
                    return (now, 0);
                }
                return (last.At, last.Suppressed + 1);
            });
            if (write)
                logger.Log(LevelOf(message.Level), "{Client} {Facility}: {Message}{Suppressed}", message.Name, message.Facility, message.Message,
                    suppressed > 0 ? $" (and {suppressed} more like it in the last {RepeatWindow.TotalSeconds:0} s)" : "");
        };
    }

    private static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [GeneratedRegex(@"\d+")]
    private static partial Regex Figures();
}
