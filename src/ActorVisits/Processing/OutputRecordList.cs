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
/// per record: the updates and their keys are all that is kept), and single records (dead letters, late copies).
/// Built by the stage's thread, then only read, by the producer flow and its delivery reports' thread.
/// </summary>
internal sealed class OutputRecordList(int capacity) : IReadOnlyList<ProducerRecord<byte[], OutputValue>>
{
    private readonly List<Run> _runs = [];

    private int _lastRun;

    /// <summary>The key of every record, in order: the updates of one URL come together and share one array.</summary>
    private readonly List<byte[]> _keys = new(capacity);

    public int Count => _keys.Count;

    public ProducerRecord<byte[], OutputValue> this[int index]
    {
        get
        {
            ref readonly var run = ref CollectionsMarshal.AsSpan(_runs)[RunOf(index)];
            if (run.Updates is not { } updates)
                return run.Single;
            // An update run always has its owner: the assignment whose partition and generation the update carries.
            var owner = run.Owner!;
            var update = updates[index - run.Start];
            return new ProducerRecord<byte[], OutputValue>(update.Window.Topic, _keys[index], OutputValue.Of(update, owner.Partition.Partition.Value, owner.Generation),
                new Timestamp(update.WindowEnd));
        }
    }

    /// <summary>The partition assignment record <paramref name="index"/> belongs to.</summary>
    public PartitionHandle? OwnerOf(int index) => _runs[RunOf(index)].Owner;

    public void Add(ProducerRecord<byte[], OutputValue> record, PartitionHandle? owner)
    {
        var start = _keys.Count;
        _keys.Add(record.Key);
        _runs.Add(new Run(start, _keys.Count, owner, null, record));
    }

    /// <summary>
    /// To each window's topic, keyed by URL (so a URL's updates share one partition), timestamped at the window's end,
    /// each carrying its version (docs/windows.md, Output): the input partition and the group generation it was owned
    /// in, and the offset that caused it. The value is written when produced (<see cref="OutputValueSerializer"/>).
    /// </summary>
    public void AddUpdates(IReadOnlyList<WindowUpdate> updates, PartitionHandle owner)
    {
        if (updates.Count == 0)
            return;
        var start = _keys.Count;
        string? url = null;
        byte[] key = [];
        for (var i = 0; i < updates.Count; i++)
        {
            if (!ReferenceEquals(updates[i].Url, url))
            {
                url = updates[i].Url;
                key = Encoding.UTF8.GetBytes(url);
            }
            _keys.Add(key);
        }
        _runs.Add(new Run(start, _keys.Count, owner, updates, default));
    }

    public IEnumerator<ProducerRecord<byte[], OutputValue>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int RunOf(int index)
    {
        if ((uint)index >= (uint)_keys.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{_keys.Count} records");
        var runs = CollectionsMarshal.AsSpan(_runs);
        // The producer flow asks for each index twice in a row (may it be produced, then the record): the last run found
        // is tried first. Only a hint, checked before use, so that a read from another thread cannot mislead it.
        var hint = _lastRun;
        if (hint < runs.Length && runs[hint].Start <= index && index < runs[hint].End)
            return hint;
        var (low, high) = (0, runs.Length - 1);
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (runs[middle].End <= index)
                low = middle + 1;
            else
                high = middle;
        }
        _lastRun = low;
        return low;
    }

    /// <summary>Records <c>Start..End-1</c>: the updates of one answer, or one record of its own.</summary>
    private readonly record struct Run(int Start, int End, PartitionHandle? Owner, IReadOnlyList<WindowUpdate>? Updates, ProducerRecord<byte[], OutputValue> Single);
}
