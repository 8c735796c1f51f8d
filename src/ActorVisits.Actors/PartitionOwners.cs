using Akka.Actor;
using Akka.DistributedData;

namespace ActorVisits.Actors;

/// <summary>
/// Which node consumes each input partition, in distributed data (last writer wins): a node records the partitions it
/// is assigned, and a query reads from its own replica where to send a question about a URL. A replica may lag a take-over
/// by a gossip round; the query then reaches the former owner's shard, which answers that it is being taken over.
/// </summary>
public sealed class PartitionOwners(ActorSystem system)
{
    private static readonly TimeSpan ReplicatorTimeout = TimeSpan.FromSeconds(5);
    private static readonly LWWDictionaryKey<string, string> Key = new("actorvisits-partition-owners");

    private readonly IActorRef _replicator = DistributedData.Get(system).Replicator;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(system);

    /// <summary>This node's name (host:port#incarnation), as shard ids name it.</summary>
    public string Self => UrlSharding.NodeName(_cluster.SelfUniqueAddress);

    /// <summary>Records that this node consumes <paramref name="partition"/> now.</summary>
    public async Task ClaimAsync(int partition)
    {
        var update = Dsl.Update(Key, LWWDictionary<string, string>.Empty, WriteLocal.Instance,
            owners => owners.SetItem(_cluster.SelfUniqueAddress, Name(partition), Self));
        if (await _replicator.Ask(update, ReplicatorTimeout) is not UpdateSuccess)
            throw new InvalidOperationException($"Could not record this node as the owner of partition {partition}.");
    }

    /// <summary>The name of the node that consumes <paramref name="partition"/>, as this node's replica knows it; null if none yet.</summary>
    public async Task<string?> OwnerOfAsync(int partition)
    {
        var answer = await _replicator.Ask(Dsl.Get(Key, ReadLocal.Instance), ReplicatorTimeout);
        return answer is GetSuccess success && success.Get(Key).TryGetValue(Name(partition), out var owner) ? owner : null;
    }

    /// <summary>
    /// Whether <paramref name="owner"/> names a member that is up and reachable now: a node downed or cut off may still
    /// be recorded as an owner until its partitions are claimed again, and asking its shard would only time out.
    /// </summary>
    public bool IsLiveMember(string owner)
    {
        var state = _cluster.State;
        return state.Members.Any(m => m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp && UrlSharding.NodeName(m.UniqueAddress) == owner)
               && !state.Unreachable.Any(m => UrlSharding.NodeName(m.UniqueAddress) == owner);
    }

    private static string Name(int partition) => partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
