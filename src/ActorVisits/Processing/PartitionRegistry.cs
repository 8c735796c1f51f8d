using ActorVisits.Actors;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// The partition actor of each input partition this process owns, one per assignment: a partition assigned again (a new
/// epoch) starts from a new actor, rebuilt from the records before its first offset, and one no longer assigned is
/// stopped (its rebuild cancelled), so it never emits updates for a partition another member now owns. Used from one
/// stream stage at a time.
/// </summary>
internal sealed class PartitionRegistry(IActorRefFactory actors, ProcessorSettings settings, PartitionRebuild rebuild)
{
    private readonly Dictionary<TopicPartition, PartitionHandle> _partitions = [];

    /// <summary>The partition's actor for <paramref name="epoch"/>; a new one rebuilds from before <paramref name="firstOffset"/>, the offset the assignment resumed at.</summary>
    public PartitionHandle For(TopicPartition partition, long epoch, long firstOffset)
    {
        if (_partitions.TryGetValue(partition, out var current) && current.Epoch == epoch)
            return current;
        current?.Stop();
        var actor = actors.ActorOf(PartitionActor.Props(settings.Windows, settings.IdleAdvance, rebuilding: settings.Rebuild));
        var cancel = new CancellationTokenSource();
        var ready = settings.Rebuild ? rebuild.StartAsync(partition, firstOffset, actor, cancel.Token) : Task.CompletedTask;
        return _partitions[partition] = new PartitionHandle(epoch, actor, ready, cancel);
    }

    /// <summary>Stops every partition actor; called once the stream has finished with them.</summary>
    public void StopAll() => Retain([]);

    /// <summary>Stops the actors of partitions outside <paramref name="assignment"/>; returns those that remain.</summary>
    public IReadOnlyList<IActorRef> Retain(IReadOnlyCollection<TopicPartition> assignment)
    {
        foreach (var gone in _partitions.Keys.Where(p => !assignment.Contains(p)).ToList())
        {
            _partitions[gone].Stop();
            _partitions.Remove(gone);
        }
        return _partitions.Values.Select(p => p.Actor).ToList();
    }
}

/// <summary>One assignment's partition actor, and its rebuild: <see cref="Ready"/> completes once the actor has its state.</summary>
internal sealed class PartitionHandle(long epoch, IActorRef actor, Task ready, CancellationTokenSource cancelRebuild)
{
    public long Epoch { get; } = epoch;

    public IActorRef Actor { get; } = actor;

    public Task Ready { get; } = ready;

    public void Stop()
    {
        cancelRebuild.Cancel();
        Actor.Tell(WindowsProtocol.StopPartition.Instance);
    }
}
