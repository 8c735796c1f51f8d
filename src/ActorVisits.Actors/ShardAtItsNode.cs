using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorVisits.Actors;

/// <summary>
/// Places a URL shard (<c>partition@host:port#incarnation</c>) on the node its id names, and never moves one: the node
/// that consumes a partition is the only one that counts into its shard. The node touches its shard as soon as it is
/// assigned the partition, so its own region asks first and gets it. Asked by another region (a query; a coordinator
/// that moved and lost track), the shard goes to the registered region at the host:port it names. While there is none
/// (the node is starting, or the coordinator has just moved) the allocation fails, which the coordinator logs, and the
/// region asks again a moment later: placed anywhere else, the shard would stay there. A node restarted at the same
/// address has a new incarnation, hence new shards: the coordinator never hands them to the dead region of its former self.
/// </summary>
internal sealed class ShardAtItsNode(ActorSystem system) : IShardAllocationStrategy
{
    private readonly Address _self = Akka.Cluster.Cluster.Get(system).SelfAddress;

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var endpoint = UrlSharding.EndpointOf(shardId);
        var region = EndpointOf(requester) == endpoint ? requester : currentShardAllocations.Keys.FirstOrDefault(r => EndpointOf(r) == endpoint);
        return region is not null
            ? Task.FromResult(region)
            : Task.FromException<IActorRef>(new InvalidOperationException(
                $"URL shard {shardId} waits for the shard region of {endpoint} to register (the node is starting, or the coordinator has just moved); it is asked again shortly."));
    }

    private string EndpointOf(IActorRef region) => UrlSharding.Endpoint(region.Path.Address.HasLocalScope ? _self : region.Path.Address);

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
}
