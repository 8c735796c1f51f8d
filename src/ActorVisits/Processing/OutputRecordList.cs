using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Messages;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// The records one batch produces, as the producer flow reads them by index, each with the partition assignment it
/// belongs to (null: none): runs of window updates, each made into its record only when read (a struct, so no object
/// per record: the URL actors' arrays of updates and one key per array are all that is kept), and single records
/// (dead letters, late copies).
/// Built by the stage's thread, then only read, by the producer flow and its delivery reports' thread.
/// </summary>
internal sealed class OutputRecordList : IReadOnlyList<ProducerRecord<byte[], OutputValue>>
{
    private readonly List<Run> _runs = [];

    private readonly List<ProducerRecord<byte[], OutputValue>> _singles = [];

    private int _lastRun;

    /// <param name="urls">How many runs of updates to make room for (one per URL of each answer).</param>
    public OutputRecordList(int urls) => _runs.EnsureCapacity(urls);

    public int Count { get; private set; }

    public ProducerRecord<byte[], OutputValue> this[int index]
    {
        get
        {
            ref readonly var run = ref CollectionsMarshal.AsSpan(_runs)[RunOf(index)];
            if (run.Updates is not { } updates)
                return _singles[run.Single];
            // An update run always has its key, and its owner: the assignment whose partition and generation the update carries.
            var owner = run.Owner!;
            ref readonly var update = ref updates[index - run.Start];
            return new ProducerRecord<byte[], OutputValue>(update.Window.Topic, run.Key!, OutputValue.Of(update, owner.Partition.Partition.Value, owner.Generation),
                new Timestamp(update.WindowEnd));
        }
    }

    /// <summary>The partition assignment record <paramref name="index"/> belongs to.</summary>
    public PartitionHandle? OwnerOf(int index) => _runs[RunOf(index)].Owner;

    /// <summary>Whether record <paramref name="index"/> is a window update (not a dead letter or a late copy).</summary>
    public bool IsUpdate(int index) => _runs[RunOf(index)].Updates is not null;

    /// <summary>How many of the records are window updates.</summary>
    public int Updates { get; private set; }

    public void Add(ProducerRecord<byte[], OutputValue> record, PartitionHandle? owner)
    {
        _singles.Add(record);
        _runs.Add(new Run(Count, _singles.Count - 1, owner, null, null));
        Count++;
    }

    /// <summary>
    /// To each window's topic, keyed by URL (so a URL's updates share one partition), timestamped at the window's end,
    /// each carrying its version (docs/windows.md, Output): the input partition and the group generation it was owned
    /// in, and the offset that caused it. The value is written when produced (<see cref="OutputValueSerializer"/>).
    /// Each URL's array of updates is one run, kept as it is, with the URL's key.
    /// </summary>
    public void AddUpdates(WindowUpdateList updates, PartitionHandle owner)
    {
        var byUrl = updates.ByUrl;
        for (var i = 0; i < byUrl.Count; i++)
        {
            var ofUrl = byUrl[i];
            _runs.Add(new Run(Count, -1, owner, ofUrl, Encoding.UTF8.GetBytes(ofUrl[0].Url)));
            Count += ofUrl.Length;
            Updates += ofUrl.Length;
        }
    }

    public IEnumerator<ProducerRecord<byte[], OutputValue>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int RunOf(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Count} records");
        var runs = CollectionsMarshal.AsSpan(_runs);
        // The producer flow asks for each index twice in a row (may it be produced, then the record): the last run found
        // is tried first. Only a hint, checked before use, so that a read from another thread cannot mislead it.
        var hint = _lastRun;
        if (hint < runs.Length && runs[hint].Start <= index && index < runs[hint].End)
            return hint;
        // The last run starting at or before the index: runs are added in order and none is empty.
        var (low, high) = (0, runs.Length - 1);
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (runs[middle].Start <= index)
                low = middle;
            else
                high = middle - 1;
        }
        _lastRun = low;
        return low;
    }

    /// <summary>
    /// Records from <c>Start</c>: the updates of one URL in one answer, with the URL's key, or one record of its own
    /// (<see cref="Single"/>, its index among them). 32 bytes: a tick moving thousands of URLs makes as many runs.
    /// </summary>
    private readonly record struct Run(int Start, int Single, PartitionHandle? Owner, WindowUpdate[]? Updates, byte[]? Key)
    {
        public int End => Start + (Updates?.Length ?? 1);
    }
}
