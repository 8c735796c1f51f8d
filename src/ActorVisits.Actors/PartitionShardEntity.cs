using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// The one entity of a shard that is not a URL: it hands queries to the partition actor of this node, which knows which
/// URLs have visits, so a query never creates a URL entity (one created by a query could be passivated while the
/// partition actor starts counting into it).
/// </summary>
internal sealed class PartitionShardEntity(LocalPartitions partitions) : UntypedActor
{
    public static Props Props(LocalPartitions partitions) => Akka.Actor.Props.Create(() => new PartitionShardEntity(partitions));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case QueryUrl query when partitions.TryGet(query.Partition, out var partition):
                partition.Forward(query);
                break;
            case QueryUrl query:
                Sender.Tell(UrlCounts.NotAvailable(query.Url, $"partition {query.Partition} is not consumed on the node holding its shard (being taken over)"));
                break;
            case UrlSharding.TouchShard:
                // Only its shard's allocation was wanted.
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
