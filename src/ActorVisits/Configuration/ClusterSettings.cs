using ActorVisits.Kafka.Settings;
using Akka.Configuration;

namespace ActorVisits.Configuration;

/// <summary>
/// The <c>actorvisits.cluster</c> and <c>actorvisits.http</c> sections: whether and how this process joins an Akka
/// cluster (the address others reach it at, <paramref name="Hostname"/>, and the one it binds, <paramref name="BindHostname"/>,
/// which differ in a container), and where it answers HTTP (queries, health, metrics).
/// </summary>
public sealed record ClusterSettings(bool Enabled, string Hostname, int Port, IReadOnlyList<string> SeedNodes, int HttpPort, string BindHostname = "", string HttpBind = "0.0.0.0")
{
    public const string Section = "actorvisits.cluster";
    public const string HttpSection = "actorvisits.http";

    /// <summary>
    /// On a cluster node, the longest wait for a partition's URL entities to answer (instead of the processor's
    /// ask-timeout): a shard's home comes from the shard coordinator, so when the coordinator's node is lost the answer
    /// waits until the split brain resolver has downed it and the coordinator moved.
    /// </summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest a cluster node may stay short of Up before it exits to be restarted: a first seed restarted while
    /// cut off starts a cluster of its own that never merges with the others.
    /// </summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The actor system's name, part of every node address: nodes of one cluster share it.</summary>
    public const string SystemName = "actorvisits";

    public static ClusterSettings FromConfig(Config config)
    {
        var cluster = new ConfigReader(config, Section);
        var http = new ConfigReader(config, HttpSection);
        return new ClusterSettings(
            cluster.Boolean("enabled"),
            cluster.String("hostname"),
            cluster.Port("port"),
            cluster.StringList("seed-nodes"),
            http.Port("port", zeroMeansAnyFree: true),
            cluster.OptionalString("bind-hostname") ?? "",
            http.String("bind"))
        {
            AskTimeout = cluster.PositiveDuration("ask-timeout"),
            JoinTimeout = cluster.PositiveDuration("join-timeout"),
        };
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

    /// <summary>The seed nodes as Akka addresses.</summary>
    public IReadOnlyList<string> SeedAddresses => SeedNodes.Select(SeedAddress).ToList();
}
