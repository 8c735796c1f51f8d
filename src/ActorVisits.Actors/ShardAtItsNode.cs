using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorVisits.Actors;

/// <summary>
/// Places a URL shard (<c>partition@host:port</c>) on the node its id names, and never moves one: the node that consumes
/// a partition is the only one that counts into its shard. While that node's region is not registered with the
/// coordinator (it is starting, or the coordinator has just moved) the allocation fails, which the coordinator logs, and
/// the region asks again a moment later: placed anywhere else, the shard would stay there, and the node's partition
/// actor would count into another node.
/// </summary>
internal sealed class ShardAtItsNode(ActorSystem system) : IShardAllocationStrategy
{
    private readonly Address _self = Akka.Cluster.Cluster.Get(system).SelfAddress;

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var node = shardId[(shardId.IndexOf('@') + 1)..];
        var region = currentShardAllocations.Keys.FirstOrDefault(r => UrlSharding.NodeName(r.Path.Address.HasLocalScope ? _self : r.Path.Address) == node);
        return region is not null
            ? Task.FromResult(region)
            : Task.FromException<IActorRef>(new InvalidOperationException(
                $"URL shard {shardId} waits for the shard region of {node} to register (the node is starting, or the coordinator has just moved); it is asked again shortly."));
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
}
