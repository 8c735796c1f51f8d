using ActorVisits.Kafka.Settings;
using System.CommandLine;
using ActorVisits.Configuration;
using Akka.Configuration;

namespace ActorVisits.Commands;

/// <summary>
/// The flags of a processor node: Akka cluster membership and the HTTP query endpoint. Each one overrides its environment
/// variable, which overrides the HOCON key (<c>actorvisits.cluster</c>, <c>actorvisits.http</c>).
/// </summary>
internal sealed class ClusterOptions(EnvironmentVariables? environment = null)
{
    private readonly EnvironmentVariables _environment = environment ?? EnvironmentVariables.Process;

    private readonly Option<bool> _cluster = new("--cluster")
    {
        Description = "Join an Akka cluster: URL actors become sharded entities placed where their Kafka partition is consumed, and any node " +
                      "answers queries for any URL. Default: $ACTORVISITS_CLUSTER (on/off), else actorvisits.cluster.enabled (off).",
    };

    private readonly Option<string?> _hostname = new("--hostname")
    {
        Description = "Host name or address other nodes reach this one at. Default: $ACTORVISITS_CLUSTER_HOSTNAME, else actorvisits.cluster.hostname (127.0.0.1).",
    };

    private readonly Option<int?> _port = new("--port")
    {
        Description = "Akka remoting port of this node. Default: $ACTORVISITS_CLUSTER_PORT, else actorvisits.cluster.port (4053).",
    };

    private readonly Option<string[]> _seeds = new("--seed")
    {
        Description = "A node to join, host:port, repeatable; the same list on every node (the first one listed starts the cluster). " +
                      "Default: $ACTORVISITS_CLUSTER_SEEDS (comma separated), else actorvisits.cluster.seed-nodes (127.0.0.1:4053).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int?> _httpPort = new("--http-port")
    {
        Description = "Port of HTTP: the dashboard, GET /urls/{url} (a URL's live counts), /healthz/live, /healthz/ready, /metrics; 0: any free port (the log says which). Default: $ACTORVISITS_HTTP_PORT, else actorvisits.http.port (8080).",
    };

    private readonly Option<string?> _httpBind = new("--http-bind")
    {
        Description = "Address the HTTP endpoint binds: 0.0.0.0 for every interface, 127.0.0.1 for this machine only. Default: $ACTORVISITS_HTTP_BIND, else actorvisits.http.bind (0.0.0.0).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_httpBind);
        command.Options.Add(_cluster);
        command.Options.Add(_hostname);
        command.Options.Add(_port);
        command.Options.Add(_seeds);
        command.Options.Add(_httpPort);
    }

    public ClusterSettings Resolve(ParseResult parse, Config config)
    {
        var settings = ClusterSettings.FromConfig(config);
        var seeds = parse.GetValue(_seeds) is { Length: > 0 } flagged
            ? flagged
            : Environment("ACTORVISITS_CLUSTER_SEEDS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new ClusterSettings(
            // Given, the flag decides either way (--cluster false turns off what the environment or HOCON turned on).
            parse.GetResult(_cluster) is { Implicit: false }
                ? parse.GetValue(_cluster)
                : Environment("ACTORVISITS_CLUSTER") is { } enabled ? ParseSwitch("ACTORVISITS_CLUSTER", enabled) : settings.Enabled,
            parse.GetValue(_hostname) ?? Environment("ACTORVISITS_CLUSTER_HOSTNAME") ?? settings.Hostname,
            Port("--port", parse.GetValue(_port)) ?? Port("ACTORVISITS_CLUSTER_PORT", Environment("ACTORVISITS_CLUSTER_PORT")) ?? settings.Port,
            seeds ?? settings.SeedNodes,
            Port("--http-port", parse.GetValue(_httpPort), zeroMeansAnyFree: true)
                ?? Port("ACTORVISITS_HTTP_PORT", Environment("ACTORVISITS_HTTP_PORT"), zeroMeansAnyFree: true)
                ?? settings.HttpPort,
            Environment("ACTORVISITS_CLUSTER_BIND_HOSTNAME") ?? settings.BindHostname,
            parse.GetValue(_httpBind) ?? Environment("ACTORVISITS_HTTP_BIND") ?? settings.HttpBind)
        {
            AskTimeout = settings.AskTimeout,
            JoinTimeout = settings.JoinTimeout,
        }.Checked();
    }

    private string? Environment(string name) => _environment.Get(name);

    private static bool ParseSwitch(string name, string value) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => true,
        "off" or "false" or "no" or "0" => false,
        _ => throw new InvalidConfigurationException($"{name} must be on or off (got '{value}')."),
    };

    private static int? Port(string name, string? value, bool zeroMeansAnyFree = false)
    {
        if (value is null)
            return null;
        return int.TryParse(value, out var port) ? Port(name, port, zeroMeansAnyFree) : throw new InvalidConfigurationException($"{name} must be a port number (got '{value}').");
    }

    private static int? Port(string name, int? port, bool zeroMeansAnyFree = false) =>
        port is not { } value || value is > 0 and <= 65535 || (zeroMeansAnyFree && value == 0)
            ? port
            : throw new InvalidConfigurationException($"{name} must be a port from 1 to 65535{(zeroMeansAnyFree ? ", or 0 for any free port" : "")} (got {value}).");
}
