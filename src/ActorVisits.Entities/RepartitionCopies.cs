namespace ActorVisits.Entities;

/// <summary>
/// Recognises the copies of re-keyed visits that a restart produces again into the repartition topic. The re-keying
/// stream produces each source partition in offset order, so within one partition of the repartition topic the first
/// copy of a record comes after the first copy of every lower offset of its source partition: a record whose source
/// offset is not above every one seen from its source partition is a copy of one counted already.
/// </summary>
public sealed class RepartitionCopies
{
    private readonly Dictionary<int, long> _highest = [];

    /// <summary>True for a copy; otherwise records the offset as seen. A visit read from the input itself (partition -1) is never a copy.</summary>
    public bool IsCopy(int sourcePartition, long sourceOffset)
    {
        if (sourcePartition < 0)
            return false;
        if (_highest.TryGetValue(sourcePartition, out var highest) && sourceOffset <= highest)
            return true;
        _highest[sourcePartition] = sourceOffset;
        return false;
    }
}
