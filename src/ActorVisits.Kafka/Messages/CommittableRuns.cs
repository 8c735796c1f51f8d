namespace ActorVisits.Kafka.Messages;

/// <summary>
/// The offsets that commit a processed batch: records of one partition come in offset order, so the last record of
/// each run of one partition's records (read under one assignment) commits the whole run. Handing the committer only
/// those, each counted as its run's records, makes no offset object and no push for the records between.
/// </summary>
public static class CommittableRuns
{
    /// <summary>One offset per run of <paramref name="items"/> with the same partition and assignment epoch, in order.</summary>
    public static List<CommittableOffset> Offsets<T, TKey, TValue>(IReadOnlyList<T> items, Func<T, CommittableMessage<TKey, TValue>> messageOf)
    {
        var offsets = new List<CommittableOffset>(1);
        CommittableMessage<TKey, TValue>? last = null;
        var run = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var message = messageOf(items[i]);
            if (last is not null && (last.TopicPartition != message.TopicPartition || last.AssignmentEpoch != message.AssignmentEpoch))
            {
                offsets.Add(last.CommittableOffsetFor(run));
                run = 0;
            }
            last = message;
            run++;
        }
        if (last is not null)
            offsets.Add(last.CommittableOffsetFor(run));
        return offsets;
    }
}
