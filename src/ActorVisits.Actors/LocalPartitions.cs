using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorVisits.Actors;

/// <summary>The partition actor of each input partition this process owns now, by partition number: where queries go.</summary>
public sealed class LocalPartitions
{
    private readonly ConcurrentDictionary<int, Entry> _actors = new();

    /// <summary>
    /// Registers <paramref name="actor"/> for <paramref name="partition"/>, while <paramref name="stillAssigned"/> holds:
    /// a revoked assignment's actor is unregistered only on the stream's next turn, and must not answer queries with
    /// counts frozen at the revocation meanwhile.
    /// </summary>
    public void Register(int partition, IActorRef actor, Func<bool> stillAssigned) => _actors[partition] = new Entry(actor, stillAssigned);

    /// <summary>Forgets <paramref name="actor"/>, unless a newer assignment already replaced it.</summary>
    public void Unregister(int partition, IActorRef actor)
    {
        if (_actors.TryGetValue(partition, out var entry) && entry.Actor.Equals(actor))
            _actors.TryRemove(KeyValuePair.Create(partition, entry));
    }

    public bool TryGet(int partition, out IActorRef actor)
    {
        if (_actors.TryGetValue(partition, out var entry) && entry.StillAssigned())
        {
            actor = entry.Actor;
            return true;
        }
        actor = null!;
        return false;
    }

    private sealed record Entry(IActorRef Actor, Func<bool> StillAssigned);
}
