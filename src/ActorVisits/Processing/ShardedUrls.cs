using ActorVisits.Actors;
using Akka.Actor;

namespace ActorVisits.Processing;

/// <summary>A cluster node's URL shards: its shard region of URL entities, and the directory of which node consumes each partition.</summary>
internal sealed class ShardedUrls(ActorSystem system, LocalPartitions local, ProcessorSettings settings)
{
    public IActorRef Region { get; } = system.StartUrlSharding(settings.Windows, local, settings.FailVisitsOfUrl);

    public PartitionOwners Owners { get; } = new(system);

    /// <summary>The shard this node counts <paramref name="partition"/>'s URLs in.</summary>
    public string ShardOf(int partition) => UrlSharding.ShardOf(partition, Owners.Self);
}
