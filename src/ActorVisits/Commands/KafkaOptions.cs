using System.CommandLine;
using ActorVisits.Configuration;
using ActorVisits.Kafka.Settings;
using Akka.Configuration;

namespace ActorVisits.Commands;

/// <summary>
/// The options every command that talks to Kafka shares, and the settings they resolve to: the HOCON configuration
/// (reference, then <c>--config</c>, then <c>$ACTORVISITS_BOOTSTRAP_SERVERS</c>) with the flags given on the command line on top.
/// </summary>
internal sealed class KafkaOptions(EnvironmentVariables? environment = null)
{
    private readonly EnvironmentVariables _environment = environment ?? EnvironmentVariables.Process;

    public const string BootstrapEnvironmentVariable = "ACTORVISITS_BOOTSTRAP_SERVERS";

    private readonly Option<string?> _bootstrapServers = new("--bootstrap-servers", "-b")
    {
        Description = $"Kafka bootstrap servers, host:port[,host:port]. Default: ${BootstrapEnvironmentVariable} if set, else " +
                      "actorvisits.kafka.bootstrap-servers of the configuration (127.0.0.1:9092, where 'actorvisits broker' listens).",
    };

    private readonly Option<string[]> _properties = new("--property", "-X")
    {
        Description = "Any librdkafka client property, key=value, repeatable (e.g. -X security.protocol=SASL_SSL -X sasl.username=u). " +
                      "Overrides actorvisits.kafka.client-properties. Secrets are never logged.",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public const string PropertiesFileEnvironmentVariable = "ACTORVISITS_KAFKA_PROPERTIES_FILE";

    private readonly Option<string?> _propertiesFile = new("--properties-file")
    {
        Description = "A file of librdkafka client properties, one key=value per line (# starts a comment), as Kafka's own tools take " +
                      "with --command-config: the way to pass secrets (a mounted secret file) without putting them on the command line. " +
                      $"Applied over actorvisits.kafka.client-properties, under -X. Default: ${PropertiesFileEnvironmentVariable} if set.",
    };

    private readonly Option<string?> _config = new("--config")
    {
        Description = "HOCON file whose keys override the reference configuration (hocon/actorvisits.conf).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_bootstrapServers);
        command.Options.Add(_properties);
        command.Options.Add(_propertiesFile);
        command.Options.Add(_config);
    }

    /// <summary>The HOCON configuration: the reference, overridden by the <c>--config</c> file if given.</summary>
    public Config LoadConfig(ParseResult parse) => HostConfig.Load(parse.GetValue(_config));

    public KafkaSettings Resolve(ParseResult parse) => Resolve(parse, LoadConfig(parse));

    /// <summary>The settings of <paramref name="config"/> with the flags on top; throws <see cref="InvalidConfigurationException"/> naming the key or flag at fault.</summary>
    public KafkaSettings Resolve(ParseResult parse, Config config)
    {
        var settings = KafkaSettings.FromConfig(config);
        IEnumerable<KeyValuePair<string, string>> flagged;
        try
        {
            flagged = ClientProperties.Parse(parse.GetValue(_properties) ?? []);
        }
        catch (ArgumentException e)
        {
            throw new InvalidConfigurationException($"--property: {e.Message}", e);
        }
        ClientProperties.Validate(flagged, key => $"--property {key}");
        var properties = new Dictionary<string, string>(settings.ClientProperties);
        if ((parse.GetValue(_propertiesFile) ?? _environment.Get(PropertiesFileEnvironmentVariable)) is { } file)
        {
            var name = parse.GetValue(_propertiesFile) is null ? PropertiesFileEnvironmentVariable : "--properties-file";
            var fromFile = ReadPropertiesFile(file, name);
            ClientProperties.Validate(fromFile, key => $"{key} in {name} {file}");
            foreach (var (key, value) in fromFile)
                properties[key] = value;
        }
        foreach (var (key, value) in flagged)
            properties[key] = value;
        var brokers = parse.GetValue(_bootstrapServers) ?? _environment.Get(BootstrapEnvironmentVariable) ?? settings.BootstrapServers;
        return settings with
        {
            BootstrapServers = brokers,
            ClientProperties = ClientProperties.WithoutBrokers(properties, brokers),
        };
    }

    /// <summary>key=value lines; blank lines and lines starting with # are skipped. A bad line is named by its number only: it may hold a secret.</summary>
    private static List<KeyValuePair<string, string>> ReadPropertiesFile(string file, string name)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidConfigurationException($"{name}: cannot read {file}: {e.Message}", e);
        }
        var properties = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (!ClientProperties.TrySplit(line, out var property))
                throw new InvalidConfigurationException($"{name}: line {i + 1} of {file} is not of the form key=value (it is not shown: it may be a secret).");
            properties.Add(property);
        }
        return properties;
    }
}
