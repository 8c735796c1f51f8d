using Confluent.Kafka;

namespace ActorVisits.Kafka.Settings;

/// <summary>librdkafka properties passed through from the command line or configuration (SASL, TLS, tuning), and their safe display.</summary>
public static class ClientProperties
{
    private static readonly string[] SecretMarkers =
        ["password", "passphrase", "secret", "jaas", "token", "key.pem", "ssl.key", "credentials", "sasl.oauthbearer.config", "sasl.oauthbearer.extensions"];

    /// <summary>A client configuration for <paramref name="bootstrapServers"/> with every property applied.</summary>
    public static ClientConfig Create(string bootstrapServers, IEnumerable<KeyValuePair<string, string>> properties)
    {
        var config = new ClientConfig { BootstrapServers = bootstrapServers };
        foreach (var (key, value) in properties)
            config.Set(key, value);
        return config;
    }

    /// <summary>Parses <c>key=value</c> pairs, as given on a command line.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Parse(IEnumerable<string> keyValues) =>
        keyValues.Select(pair =>
        {
            if (TrySplit(pair, out var property))
                return property;
            // Only what looks like a key is repeated: the rest may be a secret typed after the wrong separator.
            var key = new string(pair.TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').ToArray());
            throw new ArgumentException($"Client property '{key}…' is not of the form key=value (the rest of it is not shown: it may be a secret).");
        }).ToList();

    /// <summary>Splits <c>key=value</c> at its first '=', both sides trimmed; false without a key before one.</summary>
    public static bool TrySplit(string pair, out KeyValuePair<string, string> property)
    {
        var separator = pair.IndexOf('=');
        property = separator > 0 ? KeyValuePair.Create(pair[..separator].Trim(), pair[(separator + 1)..].Trim()) : default;
        return separator > 0;
    }

    /// <summary>
    /// Throws <see cref="InvalidConfigurationException"/> naming (by <paramref name="nameOf"/>) the first property
    /// librdkafka refuses, with its reason; a secret property's value and reason are not repeated.
    /// </summary>
    public static void Validate(IEnumerable<KeyValuePair<string, string>> properties, Func<string, string> nameOf)
    {
        // The clients set these after the pass-through properties, so another value would be dropped without a word.
        foreach (var property in properties)
        {
            if (DeliveryFixed.FirstOrDefault(f => f.Key == property.Key) is { Key: not null } fixedOne
                && !fixedOne.Allowed.Contains(property.Value.Trim(), StringComparer.OrdinalIgnoreCase))
                throw new InvalidConfigurationException(
                    $"{nameOf(property.Key)} = '{property.Value}' is refused: ActorVisits' delivery guarantee sets it to {fixedOne.Allowed[0]} ({fixedOne.Why}).");
        }
        if (Native.PropertyCheck.FirstRefused(properties) is var (key, value, reason))
            throw Refused(key, value, reason, nameOf);
    }

    /// <summary>The error for a property librdkafka refused; a secret property's value and reason are not repeated.</summary>
    internal static InvalidConfigurationException Refused(string key, string value, string reason, Func<string, string> nameOf) =>
        new(IsSecret(key)
            ? $"{nameOf(key)} is not accepted by librdkafka (its value is not shown)."
            // A key librdkafka does not know may be a secret's key misspelt: its value is not shown either.
            : reason.Contains("No such configuration property", StringComparison.OrdinalIgnoreCase)
                ? $"{nameOf(key)} is not accepted by librdkafka: {reason} (its value is not shown)."
                : $"{nameOf(key)} = '{value}' is not accepted by librdkafka: {reason}.");

    /// <summary>The settings at-least-once delivery rests on: each client sets them itself, whatever the properties say.</summary>
    private static readonly (string Key, string[] Allowed, string Why)[] DeliveryFixed =
    [
        ("acks", ["all", "-1"], "a record is acknowledged once every in-sync replica has it"),
        ("request.required.acks", ["all", "-1"], "a record is acknowledged once every in-sync replica has it"),
        ("enable.idempotence", ["true"], "retries neither duplicate nor reorder records"),
        ("enable.auto.commit", ["false"], "offsets are committed only after processing"),
        ("enable.auto.offset.store", ["false"], "offsets are committed only after processing"),
    ];

    /// <summary>The client properties that name the brokers, which the bootstrap servers setting gives.</summary>
    public static readonly string[] BrokerKeys = ["bootstrap.servers", "metadata.broker.list"];

    /// <summary>
    /// <paramref name="properties"/> without the brokers' keys, checked to name the same brokers as
    /// <paramref name="bootstrapServers"/>: a Kafka tools' properties file often lists them too, but applied after the
    /// bootstrap servers, other brokers would silently replace the ones the logs name.
    /// </summary>
    public static Dictionary<string, string> WithoutBrokers(IReadOnlyDictionary<string, string> properties, string bootstrapServers)
    {
        var rest = new Dictionary<string, string>(properties);
        foreach (var key in BrokerKeys)
        {
            if (rest.Remove(key, out var listed) && !SameBrokers(listed, bootstrapServers))
                throw new InvalidConfigurationException(
                    $"Client property {key} = '{listed}' names other brokers than the bootstrap servers, '{bootstrapServers}' " +
                    "(-b, ACTORVISITS_BOOTSTRAP_SERVERS or actorvisits.kafka.bootstrap-servers): give the brokers once.");
        }
        return rest;
    }

    private static bool SameBrokers(string a, string b)
    {
        static HashSet<string> Of(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Of(a).SetEquals(Of(b));
    }

    public static bool IsSecret(string key) => SecretMarkers.Any(marker => key.Contains(marker, StringComparison.OrdinalIgnoreCase));

    /// <summary>One line per property for logs, secrets masked.</summary>
    public static IEnumerable<string> Describe(IEnumerable<KeyValuePair<string, string>> config) =>
        config.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={(IsSecret(p.Key) ? Masked : p.Value)}");

    /// <summary>What is shown instead of a secret property's value.</summary>
    public const string Masked = "*****";
}
