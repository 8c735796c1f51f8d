using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorVisits.Actors;

/// <summary>The partition actor of each input partition this process owns now, by partition number: where queries go.</summary>
public sealed class LocalPartitions
{
    private readonly ConcurrentDictionary<int, IActorRef> _actors = new();

    public void Register(int partition, IActorRef actor) => _actors[partition] = actor;

    /// <summary>Forgets <paramref name="actor"/>, unless a newer assignment already replaced it.</summary>
    public void Unregister(int partition, IActorRef actor) => _actors.TryRemove(new KeyValuePair<int, IActorRef>(partition, actor));

    public bool TryGet(int partition, out IActorRef actor) => _actors.TryGetValue(partition, out actor!);
}
