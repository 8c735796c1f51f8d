using System.Collections;

namespace ActorVisits.Entities.Windows;

/// <summary>
/// The updates of one answer, kept as the arrays they came in: each array holds the updates of one URL, in the order
/// of its changes (one URL actor's answer). No array of the whole answer is made: a large answer (a tick that moves
/// thousands of URLs) is many small arrays (one URL's array reaches the large-object heap only past about 2,000 updates,
/// some 700 visits of one URL in one request: above the default max-batch of 500). Built by one actor, then only read.
/// </summary>
public sealed class WindowUpdateList : IReadOnlyList<WindowUpdate>
{
    private readonly List<WindowUpdate[]> _byUrl = [];

    private readonly bool _readOnly;

    public WindowUpdateList()
    {
    }

    private WindowUpdateList(bool readOnly) => _readOnly = readOnly;

    /// <summary>No updates, shared by every empty answer: adding to it throws.</summary>
    public static WindowUpdateList Empty { get; } = new(readOnly: true);

    /// <summary>Every update, in all the arrays.</summary>
    public int Count { get; private set; }

    /// <summary>The arrays, each the updates of one URL.</summary>
    public IReadOnlyList<WindowUpdate[]> ByUrl => _byUrl;

    /// <summary>By position across the arrays: a walk over them, for tests and rare paths (read <see cref="ByUrl"/> on hot ones).</summary>
    public WindowUpdate this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"{Count} updates");
            foreach (var updates in _byUrl)
            {
                if (index < updates.Length)
                    return updates[index];
                index -= updates.Length;
            }
            throw new InvalidOperationException("unreachable: the count is the sum of the arrays' lengths");
        }
    }

    /// <summary>Adds one URL's updates (all of the same URL), unless there are none.</summary>
    public void Add(WindowUpdate[] updatesOfOneUrl)
    {
        if (_readOnly)
            throw new InvalidOperationException("WindowUpdateList.Empty is shared by every empty answer and cannot change.");
        if (updatesOfOneUrl.Length == 0)
            return;
        _byUrl.Add(updatesOfOneUrl);
        Count += updatesOfOneUrl.Length;
    }

    /// <summary>Room for this many URLs' arrays without growing.</summary>
    public void EnsureCapacity(int urls) => _byUrl.EnsureCapacity(urls);

    /// <summary>The updates <paramref name="keep"/> is true for, in the same order and grouping.</summary>
    public WindowUpdateList Where(Func<WindowUpdate, bool> keep)
    {
        var kept = new WindowUpdateList();
        foreach (var updates in _byUrl)
            kept.Add(Array.FindAll(updates, keep.Invoke));
        return kept;
    }

    public IEnumerator<WindowUpdate> GetEnumerator()
    {
        foreach (var updates in _byUrl)
        {
            foreach (var update in updates)
                yield return update;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
