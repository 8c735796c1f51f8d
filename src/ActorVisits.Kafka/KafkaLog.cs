using Confluent.Kafka;

namespace ActorVisits.Kafka;

/// <summary>
/// Where librdkafka's own log lines go: warnings and errors to standard error, and everything when the client has a
/// <c>debug</c> property. librdkafka never logs credentials, so its lines are written as they are.
/// </summary>
public static class KafkaLog
{
    public static Action<IClient, LogMessage> For(IEnumerable<KeyValuePair<string, string>> config)
    {
        var verbose = config.Any(p => p.Key == "debug" && !string.IsNullOrWhiteSpace(p.Value));
        return (_, message) =>
        {
            if (verbose || message.Level <= SyslogLevel.Warning)
                Console.Error.WriteLine($"[librdkafka {message.Level.ToString().ToLowerInvariant()}] {message.Name} {message.Facility}: {message.Message}");
        };
    }
}
