namespace ActorVisits.Entities.Windows;

/// <summary>
/// An item a <see cref="SecondIndex{T}"/> can hold: it remembers the seconds it was indexed under lately, so that many
/// visits in one second, in order or not, index it once.
/// </summary>
public interface ISecondIndexed
{
    /// <summary>The latest second this item was indexed under (<see cref="long.MinValue"/>: none yet).</summary>
    long IndexedAt { get; set; }

    /// <summary>Bit k set: the item is indexed under <see cref="IndexedAt"/> minus k seconds.</summary>
    ulong IndexedBefore { get; set; }
}

/// <summary>
/// For each second of the longest window of a <see cref="WindowSet"/>, the items (URLs) with a visit in it: when a
/// partition's clock moves, only the URLs with visits in a second that leaves some window have anything to change. A
/// ring of one list per second; adding is O(1), a move of the clock visits only the seconds that leave a window.
/// </summary>
public sealed class SecondIndex<T>(WindowSet windows) where T : class, ISecondIndexed
{
    private readonly int _seconds = windows.LongestSeconds;
    private readonly List<T>?[] _items = new List<T>?[windows.LongestSeconds];
    private readonly long[] _second = new long[windows.LongestSeconds];

    /// <summary>How many seconds back from its latest an item remembers being indexed under (one bit each).</summary>
    public const int RememberedSeconds = 64;

    /// <summary>
    /// Records a visit of <paramref name="item"/> in <paramref name="second"/>. An item is held once per second as long
    /// as its visits are less than <see cref="RememberedSeconds"/> behind its latest one (out-of-order traffic, two
    /// producers' clocks apart): held once per visit instead, a hot URL's entries would grow with its traffic. Only a
    /// visit further behind may index it again.
    /// </summary>
    public void Add(long second, T item)
    {
        var latest = item.IndexedAt;
        if (second > latest)
        {
            var ahead = latest == long.MinValue ? RememberedSeconds : second - latest;
            item.IndexedBefore = ahead >= RememberedSeconds ? 1UL : (item.IndexedBefore << (int)ahead) | 1UL;
            item.IndexedAt = second;
        }
        else if (latest - second < RememberedSeconds)
        {
            var bit = 1UL << (int)(latest - second);
            if ((item.IndexedBefore & bit) != 0)
                return;
            item.IndexedBefore |= bit;
        }
        var slot = Slot(second);
        if (_items[slot] is null || _second[slot] != second)
        {
            (_items[slot] ??= []).Clear();
            _second[slot] = second;
        }
        _items[slot]!.Add(item);
    }

    /// <summary>
    /// Every item with a visit in a second that leaves some window as the clock goes from <paramref name="from"/> to
    /// <paramref name="to"/> (less than the longest window later), at least once each.
    /// </summary>
    public IEnumerable<T> Leaving(long from, long to)
    {
        for (var now = from + 1; now <= to; now++)
        {
            foreach (var window in windows.Windows)
            {
                var leaving = now - window.Seconds;
                var slot = Slot(leaving);
                if (_items[slot] is { } items && _second[slot] == leaving)
                {
                    foreach (var item in items)
                        yield return item;
                }
            }
        }
    }

    /// <summary>Drops the seconds that left the longest window as the clock went from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Forget(long from, long to)
    {
        if (to - from >= _seconds)
        {
            // Every second indexed (none is later than from) has left: a list kept past its slot's reuse would hold
            // passivated items reachable for nothing.
            foreach (var items in _items)
                items?.Clear();
            return;
        }
        for (var now = Math.Max(from + 1, to - _seconds + 1); now <= to; now++)
        {
            var slot = Slot(now - _seconds);
            if (_second[slot] == now - _seconds)
                _items[slot]?.Clear();
        }
    }

    private int Slot(long second) => (int)(((second % _seconds) + _seconds) % _seconds);
}
