using Confluent.Kafka;

namespace ActorVisits.Kafka.Settings;

/// <summary>librdkafka properties passed through from the command line or configuration (SASL, TLS, tuning), and their safe display.</summary>
public static class ClientProperties
{
    private static readonly string[] SecretMarkers = ["password", "secret", "jaas", "token", "key.pem", "ssl.key", "credentials"];

    /// <summary>A client configuration for <paramref name="bootstrapServers"/> with every <c>key=value</c> applied.</summary>
    public static ClientConfig Create(string bootstrapServers, IEnumerable<string> keyValues)
    {
        var config = new ClientConfig { BootstrapServers = bootstrapServers };
        foreach (var pair in keyValues)
        {
            var separator = pair.IndexOf('=');
            if (separator <= 0)
                throw new ArgumentException($"Client property '{pair}' is not of the form key=value.");
            config.Set(pair[..separator].Trim(), pair[(separator + 1)..].Trim());
        }
        return config;
    }

    public static bool IsSecret(string key) => SecretMarkers.Any(marker => key.Contains(marker, StringComparison.OrdinalIgnoreCase));

    /// <summary>One line per property for logs, secrets masked.</summary>
    public static IEnumerable<string> Describe(IEnumerable<KeyValuePair<string, string>> config) =>
        config.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={(IsSecret(p.Key) ? "*****" : p.Value)}");
}
