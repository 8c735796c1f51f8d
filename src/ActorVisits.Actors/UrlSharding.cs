using ActorVisits.Entities.Windows;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorVisits.Actors;

/// <summary>
/// URL actors as sharded entities on an Akka cluster: entity = URL, shard = the input partition its visits are read
/// from, as consumed by one node: the shard id is <c>partition@host:port#incarnation</c>, and <see cref="ShardAtItsNode"/>
/// places it on that node. A node's partition actor only uses the shards named after itself, so in steady state a visit never
/// crosses the network, and no hand-off or coordinator state decides where a shard lives: when a partition moves, its
/// new owner starts a new shard on its own node, and rebuilds it from Kafka. Each shard also holds one
/// <see cref="PartitionShardEntity"/>, which routes queries to the partition actor.
/// </summary>
public static class UrlSharding
{
    public const string TypeName = "url";

    /// <summary>The entity of each shard that is not a URL: a control character, which no valid URL holds.</summary>
    internal const string PartitionEntityId = "\u0001partition";

    /// <summary>
    /// Starts this node's shard region of URL entities; <paramref name="partitions"/> are this node's partition actors.
    /// Every visit of <paramref name="failVisitsOfUrl"/> throws in its entity (a rehearsal of the error policy).
    /// </summary>
    public static IActorRef StartUrlSharding(this ActorSystem system, WindowSet windows, LocalPartitions partitions, string? failVisitsOfUrl = null) =>
        ClusterSharding.Get(system).Start(
            TypeName,
            entityId => entityId == PartitionEntityId ? PartitionShardEntity.Props(partitions) : UrlActor.Props(windows, failVisitsOfUrl),
            ClusterShardingSettings.Create(system),
            new UrlShardExtractor(),
            new ShardAtItsNode(system),
            PoisonPill.Instance);

    /// <summary>The shard of input partition <paramref name="partition"/> as consumed by the node named <paramref name="node"/> (<see cref="NodeName"/>).</summary>
    public static string ShardOf(int partition, string node) => $"{partition}@{node}";

    /// <summary>
    /// A node as shard ids name it: <c>host:port#incarnation</c>. The incarnation (the actor system's uid) tells a node
    /// restarted at the same address from its former self, whose shards may still be allocated to its dead region.
    /// </summary>
    public static string NodeName(Akka.Cluster.UniqueAddress node) => $"{Endpoint(node.Address)}#{node.Uid}";

    /// <summary>host:port of a node.</summary>
    public static string Endpoint(Address node) => $"{node.Host}:{node.Port}";

    /// <summary>The host:port a shard id names.</summary>
    public static string EndpointOf(string shardId)
    {
        var node = shardId[(shardId.IndexOf('@') + 1)..];
        var incarnation = node.LastIndexOf('#');
        return incarnation < 0 ? node : node[..incarnation];
    }

    /// <summary>A message to a shard's partition entity that only makes its shard be allocated (<see cref="ShardAtItsNode"/>).</summary>
    public static ToUrlShard Touch(string shard) => new(shard, PartitionEntityId, TouchShard.Instance);

    internal sealed record TouchShard
    {
        public static TouchShard Instance { get; } = new();
    }

    /// <summary>A message for an entity of shard <paramref name="Shard"/>.</summary>
    public sealed record ToUrlShard(string Shard, string EntityId, object Message);

    /// <summary>Where a query for the URL read from <paramref name="partition"/> goes: that shard's partition entity, never a URL entity.</summary>
    public static ToUrlShard Query(string url, int partition, string shard) => new(shard, PartitionEntityId, new WindowsProtocol.QueryUrl(url, partition));

    private sealed class UrlShardExtractor : IMessageExtractor
    {
        public string EntityId(object message) => ((ToUrlShard)message).EntityId;

        public object EntityMessage(object message) => ((ToUrlShard)message).Message;

        public string ShardId(object message) => ((ToUrlShard)message).Shard;

        public string ShardId(string entityId, object? messageHint = null) =>
            messageHint is ToUrlShard envelope ? envelope.Shard : throw new ArgumentException($"No shard for entity '{entityId}'.", nameof(messageHint));
    }
}
