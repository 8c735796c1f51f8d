using ActorVisits.Kafka.Messages;
using Confluent.Kafka;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Kafka;

/// <summary>The offsets that commit a batch, against every record's offset committed one by one.</summary>
public sealed class CommittableRunsProperties
{
    private sealed class NoCommitter : IOffsetCommitter
    {
        public Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets) => throw new InvalidOperationException("not committed here");
    }

    /// <summary>
    /// Each step is one record: its partition (step mod 3) and, when step / 3 is odd, a new assignment of that
    /// partition; offsets rise within each (partition, assignment), as a consumer hands them out. One offset per run
    /// of equal (partition, assignment), in order, ending each run, counted as its length; the highest offset of every
    /// (partition, assignment) the same as with every record's own offset.
    /// </summary>
    [Property(MaxTest = 1_000)]
    public bool One_offset_per_run_commits_what_every_records_offset_would(byte[] steps)
    {
        var committer = new NoCommitter();
        var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition("visits", p)).ToArray();
        var epochs = new long[3];
        var next = new long[3];
        var records = new List<CommittableMessage<byte[], byte[]>>();
        foreach (var step in steps)
        {
            var p = step % 3;
            if (step / 3 % 2 == 1)
                epochs[p]++;
            var offset = next[p]++;
            var consumed = new ConsumeResult<byte[], byte[]> { TopicPartitionOffset = new TopicPartitionOffset(partitions[p], offset), Message = new Message<byte[], byte[]>() };
            records.Add(new CommittableMessage<byte[], byte[]>(consumed, partitions[p], epochs[p], committer));
        }

        var offsets = CommittableRuns.Offsets(records, static m => m);

        var runs = new List<(int Last, int Length)>();
        for (var i = 0; i < records.Count; i++)
        {
            var ends = i == records.Count - 1 || records[i + 1].TopicPartition != records[i].TopicPartition || records[i + 1].AssignmentEpoch != records[i].AssignmentEpoch;
            var length = runs.Count == 0 ? i + 1 : i - runs[^1].Last;
            if (ends)
                runs.Add((i, length));
        }
        var highest = records.GroupBy(r => (r.TopicPartition.Partition.Value, r.AssignmentEpoch)).ToDictionary(g => g.Key, g => g.Max(r => r.Record.Offset.Value));
        var highestByRuns = offsets.GroupBy(o => (o.TopicPartition.Partition.Value, o.AssignmentEpoch)).ToDictionary(g => g.Key, g => g.Max(o => o.Offset.Value));
        return offsets.Count == runs.Count
               && offsets.Zip(runs).All(pair => pair.First.Offset == records[pair.Second.Last].Record.Offset
                                                && pair.First.TopicPartition == records[pair.Second.Last].TopicPartition
                                                && pair.First.AssignmentEpoch == records[pair.Second.Last].AssignmentEpoch
                                                && pair.First.Records == pair.Second.Length
                                                && ReferenceEquals(pair.First.Committer, committer))
               && offsets.Sum(o => o.Records) == records.Count
               && highest.Count == highestByRuns.Count && highest.All(h => highestByRuns[h.Key] == h.Value);
    }
}
