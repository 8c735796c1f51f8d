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

    /// <summary>Where the seed nodes come from, for errors about them.</summary>
    private const string SeedsFrom = "--seed, ACTORVISITS_CLUSTER_SEEDS or actorvisits.cluster.seed-nodes";

    /// <summary>A seed given as host:port, or already as an Akka address of this system.</summary>
    public static string SeedAddress(string seed)
    {
        var prefix = $"akka.tcp://{SystemName}@";
        var hostPort = seed.StartsWith("akka.tcp://", StringComparison.Ordinal)
            ? seed.StartsWith(prefix, StringComparison.Ordinal) ? seed[prefix.Length..] : throw new InvalidConfigurationException(
                $"Seed node '{seed}' ({SeedsFrom}) names another actor system: nodes of this cluster are {prefix}host:port.")
            : seed;
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new InvalidConfigurationException($"Seed node '{seed}' ({SeedsFrom}) must be host:port (or {prefix}host:port).");
        return prefix + hostPort;
    }

    /// <summary>
    /// This node's settings, checked when it joins a cluster: at least one seed, each one an address, and no loopback
    /// address advertised to seeds on other hosts (they could never reach this node, and the first seed would wait for
    /// its join for good).
    /// </summary>
    public ClusterSettings Checked()
    {
        if (!Enabled)
            return this;
        if (SeedNodes.Count == 0)
            throw new InvalidConfigurationException($"No seed node ({SeedsFrom}): give host:port of the first node, the same list on every node.");
        var hosts = SeedAddresses.Select(address => address[(address.IndexOf('@') + 1)..address.LastIndexOf(':')]).ToList();
        if (IsLoopback(Hostname) && hosts.FirstOrDefault(host => !IsLoopback(host)) is { } remote)
            throw new InvalidConfigurationException(
                $"This node would tell the cluster it is at {Hostname}, a loopback address, while seed node {remote} is elsewhere: " +
                "nodes there could not reach it. Give the address they reach it at: --hostname, ACTORVISITS_CLUSTER_HOSTNAME or actorvisits.cluster.hostname.");
        return this;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>The seed nodes as Akka addresses.</summary>
    public IReadOnlyList<string> SeedAddresses => SeedNodes.Select(SeedAddress).ToList();
}
