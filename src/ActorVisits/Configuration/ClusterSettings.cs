using ActorVisits.Kafka.Settings;
using Akka.Configuration;

namespace ActorVisits.Configuration;

/// <summary>The <c>actorvisits.cluster</c> and <c>actorvisits.http</c> sections: whether and how this process joins an Akka cluster, and where it answers queries.</summary>
public sealed record ClusterSettings(bool Enabled, string Hostname, int Port, IReadOnlyList<string> SeedNodes, int HttpPort)
{
    public const string Section = "actorvisits.cluster";
    public const string HttpSection = "actorvisits.http";

    /// <summary>The actor system's name, part of every node address: nodes of one cluster share it.</summary>
    public const string SystemName = "actorvisits";

    public static ClusterSettings FromConfig(Config config)
    {
        var cluster = new ConfigReader(config, Section);
        return new ClusterSettings(
            cluster.Boolean("enabled"),
            cluster.String("hostname"),
            cluster.Port("port"),
            cluster.StringList("seed-nodes"),
            new ConfigReader(config, HttpSection).Port("port", zeroMeansNone: true));
    }

    /// <summary>A seed given as host:port, or already as an Akka address.</summary>
    public static string SeedAddress(string seed)
    {
        if (seed.StartsWith("akka.tcp://", StringComparison.Ordinal))
            return seed;
        var colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new InvalidConfigurationException($"Seed node '{seed}' must be host:port (or akka.tcp://{SystemName}@host:port).");
        return $"akka.tcp://{SystemName}@{seed}";
    }

    /// <summary>The Akka settings that make this actor system a cluster node; to put over the host's configuration.</summary>
    public Config AkkaConfig()
    {
        if (SeedNodes.Count == 0)
            throw new InvalidConfigurationException($"Configuration key '{Section}.seed-nodes' must name at least one node to join (this one, to start a cluster).");
        var seeds = string.Join(", ", SeedNodes.Select(s => $"\"{SeedAddress(s)}\""));
        return ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "{{Hostname}}", port = {{Port}} }
            akka.cluster.seed-nodes = [{{seeds}}]
            """);
    }
}
