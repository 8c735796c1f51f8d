using System.CommandLine;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Commands;

/// <summary>Options every command that talks to Kafka shares.</summary>
internal static class CommonOptions
{
    public const string DefaultBootstrapServers = "127.0.0.1:9092";
    public const string BootstrapEnvironmentVariable = "ACTORVISITS_BOOTSTRAP_SERVERS";

    public static Option<string> BootstrapServers() => new("--bootstrap-servers", "-b")
    {
        Description = $"Kafka bootstrap servers, host:port[,host:port]. Default: ${BootstrapEnvironmentVariable}, else {DefaultBootstrapServers} (where 'actorvisits broker' listens).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(BootstrapEnvironmentVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultBootstrapServers,
    };

    public static Option<string[]> ClientProperties() => new("--property", "-X")
    {
        Description = "Any librdkafka client property, key=value, repeatable (e.g. -X security.protocol=SASL_SSL -X sasl.username=u). Secrets are never logged.",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static ClientConfig ClientConfig(ParseResult parse, Option<string> bootstrap, Option<string[]> properties) =>
        Kafka.Settings.ClientProperties.Create(parse.GetValue(bootstrap)!, parse.GetValue(properties) ?? []);
}
