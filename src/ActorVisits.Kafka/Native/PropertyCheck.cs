namespace ActorVisits.Kafka.Native;

/// <summary>Asks librdkafka itself whether it accepts client properties, before any client is made.</summary>
internal static class PropertyCheck
{
    private const int ErrorTextSize = 512;
    private const int ConfigurationOk = 0;

    /// <summary>
    /// <paramref name="properties"/> in the order librdkafka must be given them: plugins first (a plugin's own properties
    /// are known only once <c>plugin.library.paths</c> is set), the rest as they come.
    /// </summary>
    public static List<KeyValuePair<string, string>> InApplyOrder(IEnumerable<KeyValuePair<string, string>> properties) =>
        properties.OrderBy(p => p.Key == "plugin.library.paths" ? 0 : 1).ToList();

    /// <summary>
    /// The first property librdkafka refuses (unknown, or a value it cannot use) with its reason, or null. Confluent.Kafka's
    /// own <c>dotnet.*</c> properties are not librdkafka's and are not asked about.
    /// </summary>
    public static (string Key, string Value, string Reason)? FirstRefused(IEnumerable<KeyValuePair<string, string>> properties)
    {
        Librdkafka.EnsureBound();
        var conf = Librdkafka.rd_kafka_conf_new();
        try
        {
            return ApplyTo(conf, properties);
        }
        finally
        {
            Librdkafka.rd_kafka_conf_destroy(conf);
        }
    }

    /// <summary>
    /// Sets <paramref name="properties"/> on <paramref name="conf"/> in apply order, <c>dotnet.*</c> left out; stops at
    /// the first one librdkafka refuses and returns it with its reason, or null once all are set.
    /// </summary>
    public static (string Key, string Value, string Reason)? ApplyTo(IntPtr conf, IEnumerable<KeyValuePair<string, string>> properties)
    {
        var errorText = new byte[ErrorTextSize];
        foreach (var (key, value) in InApplyOrder(properties))
        {
            if (key.StartsWith("dotnet.", StringComparison.Ordinal))
                continue;
            if (Librdkafka.rd_kafka_conf_set(conf, key, value, errorText, (nuint)errorText.Length) != ConfigurationOk)
                return (key, value, Librdkafka.ErrorText(errorText));
        }
        return null;
    }
}
