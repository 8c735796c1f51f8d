using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace ActorVisits.Kafka;

/// <summary>
/// Where librdkafka's own log lines go: warnings and errors to standard error, and everything when the client has a
/// <c>debug</c> property. A client that cannot reach its brokers repeats the same line many times a second; a line
/// that differs only in its figures is written once per <see cref="RepeatWindow"/>, with how often it was suppressed.
/// librdkafka never logs credentials, so its lines are written as they are.
/// </summary>
public static partial class KafkaLog
{
    private static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(10);

    public static Action<IClient, LogMessage> For(IEnumerable<KeyValuePair<string, string>> config)
    {
        var verbose = config.Any(p => p.Key == "debug" && !string.IsNullOrWhiteSpace(p.Value));
        var lastWritten = new ConcurrentDictionary<string, (DateTime At, int Suppressed)>();
        return (_, message) =>
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
                Console.Error.WriteLine($"[librdkafka {message.Level.ToString().ToLowerInvariant()}] {message.Name} {message.Facility}: {message.Message}" +
                                        (suppressed > 0 ? $" (and {suppressed} more like it in the last {RepeatWindow.TotalSeconds:0} s)" : ""));
        };
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Figures();
}
