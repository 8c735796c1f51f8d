using ActorVisits.Actors;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// The partition actor of each input partition this process owns, one per assignment: a partition assigned again (a new
/// epoch) starts from a new actor, and one no longer assigned is stopped, so it never emits updates for a partition
/// another member now owns. Used from one stream stage at a time.
/// </summary>
internal sealed class PartitionRegistry(IActorRefFactory actors, ProcessorSettings settings)
{
    private readonly Dictionary<TopicPartition, (long Epoch, IActorRef Actor)> _partitions = [];

    public IActorRef For(TopicPartition partition, long epoch)
    {
        if (_partitions.TryGetValue(partition, out var current) && current.Epoch == epoch)
            return current.Actor;
        current.Actor?.Tell(WindowsProtocol.StopPartition.Instance);
        var actor = actors.ActorOf(PartitionActor.Props(settings.Windows, settings.IdleAdvance));
        _partitions[partition] = (epoch, actor);
        return actor;
    }

    /// <summary>Stops every partition actor; called once the stream has finished with them.</summary>
    public void StopAll() => Retain([]);

    /// <summary>Stops the actors of partitions outside <paramref name="assignment"/>; returns those that remain.</summary>
    public IReadOnlyList<IActorRef> Retain(IReadOnlyCollection<TopicPartition> assignment)
    {
        foreach (var gone in _partitions.Keys.Where(p => !assignment.Contains(p)).ToList())
        {
            _partitions[gone].Actor.Tell(WindowsProtocol.StopPartition.Instance);
            _partitions.Remove(gone);
        }
        return _partitions.Values.Select(p => p.Actor).ToList();
    }
}
