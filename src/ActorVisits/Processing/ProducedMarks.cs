using System.Collections.Concurrent;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// Per input partition, the offset through which this process has produced every output of the records and had it
/// acknowledged, whatever the assignment: a partition that comes back resumes at its last commit, which may be behind
/// that, and what those records cause is not produced twice (<see cref="PartitionHandle.ProducedAlready"/>).
/// Acknowledgements are told in stream order. Once an output of an assignment's records is left out (fenced off or
/// dropped at a revocation), that assignment vouches for nothing more: a later batch of it whose outputs all went out
/// (dead letters have no partition to fence them by) would otherwise raise the mark past the records left out.
/// And only while no other member can have owned the partition meanwhile: its updates for records this process had
/// produced for would land after this process's, and lack what this process had counted beyond them (a consumer
/// keeping a URL's last update would keep the other's); the records must then be produced again
/// (<see cref="OwnedElsewhere"/>).
/// </summary>
internal sealed class ProducedMarks
{
    private readonly ConcurrentDictionary<TopicPartition, long> _producedThrough = new();
    private readonly ConcurrentDictionary<TopicPartition, long> _latestEpochLeftOut = new();

    // Writers only: an acknowledgement of an earlier assignment must not raise a mark between OwnedElsewhere's two steps.
    private readonly Lock _writing = new();

    /// <summary>The offset through which every output of <paramref name="partition"/>'s records is acknowledged (-1: none).</summary>
    public long ProducedThrough(TopicPartition partition) => _producedThrough.GetValueOrDefault(partition, -1);

    /// <summary>Some output of <paramref name="partition"/>'s records read under assignment <paramref name="epoch"/> is not produced.</summary>
    public void LeftOut(TopicPartition partition, long epoch)
    {
        lock (_writing)
            _latestEpochLeftOut.AddOrUpdate(partition, epoch, (_, known) => Math.Max(known, epoch));
    }

    /// <summary>
    /// <paramref name="partition"/> is assigned again under <paramref name="epoch"/>, and another member may have owned it
    /// since this process last did: what earlier assignments acknowledged vouches for nothing from now on.
    /// </summary>
    public void OwnedElsewhere(TopicPartition partition, long epoch)
    {
        lock (_writing)
        {
            _latestEpochLeftOut.AddOrUpdate(partition, epoch - 1, (_, known) => Math.Max(known, epoch - 1));
            _producedThrough[partition] = -1;
        }
    }

    /// <summary>
    /// Every output of <paramref name="partition"/>'s records through <paramref name="lastOffset"/>, read under
    /// assignment <paramref name="epoch"/>, is acknowledged.
    /// </summary>
    public void Acknowledged(TopicPartition partition, long epoch, long lastOffset)
    {
        lock (_writing)
        {
            if (_latestEpochLeftOut.TryGetValue(partition, out var leftOut) && leftOut >= epoch)
                return;
            _producedThrough.AddOrUpdate(partition, lastOffset, (_, known) => Math.Max(known, lastOffset));
        }
    }
}
