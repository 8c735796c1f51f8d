namespace ActorVisits.Entities.Windows;

/// <summary>
/// One URL's visit counts over every window of a <see cref="WindowSet"/>, evaluated at a clock second <c>now</c>: the
/// window of N seconds covers the seconds <c>now-N+1 .. now</c>. A ring of one-second buckets sized for the longest
/// window, and a running sum per window: adding a visit and advancing the clock by one second are O(windows), and the
/// memory is bounded whatever the traffic. Methods return a bit mask of the windows whose count changed (bit i = window i).
/// Most URLs are visited in a few seconds of a window: their buckets start sparse, a handful of (second, count) pairs
/// (40 bytes), and become a dense ring once more than <see cref="MaxSparseSeconds"/> seconds hold visits. Dense buckets
/// hold 16 bits (600 bytes for 5 minutes) until a second of one URL passes 65,535 visits; the ring then widens to 32 bits.
/// </summary>
public sealed class UrlWindows
{
    /// <summary>Distinct seconds kept as pairs before the buckets become a ring.</summary>
    public const int MaxSparseSeconds = 8;

    private const int CountBits = 24;
    private const long CountMask = (1L << CountBits) - 1;

    private readonly WindowSet _windows;
    private readonly int[] _sums;
    // Exactly one of the three holds the buckets: sparse pairs (second << 24 | count), then a 16-bit ring, then 32-bit.
    private long[]? _sparse;
    private int _sparseCount;
    private ushort[]? _narrow;
    private int[]? _wide;

    public UrlWindows(WindowSet windows, long now)
    {
        _windows = windows;
        _sparse = new long[2];
        _sums = new int[windows.Count];
        Now = now;
    }

    /// <summary>The clock second the counts are evaluated at.</summary>
    public long Now { get; private set; }

    /// <summary>No visit in any window (the longest window holds every other one).</summary>
    public bool IsEmpty => _sums[_windows.LongestIndex] == 0;

    public int Count(int window) => _sums[window];

    /// <summary>True when a visit of <paramref name="second"/> still counts in the longest window at <see cref="Now"/>.</summary>
    public bool Accepts(long second) => second <= Now && second > Now - _windows.LongestSeconds;

    /// <summary>Counts a visit of <paramref name="second"/>, which must be accepted (<see cref="Accepts"/>).</summary>
    public uint Add(long second)
    {
        if (!Accepts(second))
            throw new ArgumentOutOfRangeException(nameof(second), second, $"Not within the longest window at {Now}.");
        Increment(second);
        uint changed = 0;
        for (var i = 0; i < _sums.Length; i++)
        {
            if (second > Now - _windows[i].Seconds)
            {
                _sums[i]++;
                changed |= 1u << i;
            }
        }
        return changed;
    }

    /// <summary>Moves the clock forward to <paramref name="now"/>; visits that leave a window are subtracted from it.</summary>
    public uint AdvanceTo(long now)
    {
        if (now <= Now)
            return 0;
        uint changed = 0;
        if (now - Now >= _windows.LongestSeconds)
        {
            for (var i = 0; i < _sums.Length; i++)
            {
                if (_sums[i] != 0)
                    changed |= 1u << i;
                _sums[i] = 0;
            }
            if (_sparse is not null)
                _sparseCount = 0;
            else if (_wide is null)
                Array.Clear(_narrow!);
            else
                Array.Clear(_wide);
            Now = now;
            return changed;
        }
        for (var second = Now + 1; second <= now; second++)
        {
            for (var i = 0; i < _sums.Length; i++)
            {
                // The second that leaves window i as the clock reaches `second`.
                var leaving = Bucket(second - _windows[i].Seconds);
                if (leaving != 0)
                {
                    _sums[i] -= leaving;
                    changed |= 1u << i;
                }
            }
            // The longest window's leaving second shares its slot with the new second.
            ClearBucket(second - _windows.LongestSeconds);
        }
        Now = now;
        return changed;
    }

    private int Slot(long second)
    {
        var length = _windows.LongestSeconds;
        return (int)(((second % length) + length) % length);
    }

    /// <summary>The visits of <paramref name="second"/>, which is within the ring (the longest window at or before <see cref="Now"/>'s next seconds).</summary>
    private int Bucket(long second)
    {
        if (_sparse is not null)
        {
            var at = SparseIndex(second);
            return at < 0 ? 0 : (int)(_sparse[at] & CountMask);
        }
        return _wide is null ? _narrow![Slot(second)] : _wide[Slot(second)];
    }

    private void ClearBucket(long second)
    {
        if (_sparse is not null)
        {
            var at = SparseIndex(second);
            if (at >= 0)
                _sparse[at] = _sparse[--_sparseCount];
        }
        else if (_wide is null)
            _narrow![Slot(second)] = 0;
        else
            _wide[Slot(second)] = 0;
    }

    private void Increment(long second)
    {
        if (_sparse is not null)
        {
            var at = SparseIndex(second);
            if (at >= 0 && (_sparse[at] & CountMask) < CountMask)
            {
                _sparse[at]++;
                return;
            }
            if (at < 0 && _sparseCount < MaxSparseSeconds)
            {
                if (_sparseCount == _sparse.Length)
                    Array.Resize(ref _sparse, _sparse.Length * 2);
                _sparse[_sparseCount++] = (second << CountBits) | 1;
                return;
            }
            Densify();
        }
        var slot = Slot(second);
        if (_wide is null && _narrow![slot] < ushort.MaxValue)
        {
            _narrow[slot]++;
            return;
        }
        if (_wide is null)
        {
            _wide = Array.ConvertAll(_narrow!, bucket => (int)bucket);
            _narrow = null;
        }
        _wide[slot]++;
    }

    private int SparseIndex(long second)
    {
        for (var i = 0; i < _sparseCount; i++)
        {
            if (_sparse![i] >> CountBits == second)
                return i;
        }
        return -1;
    }

    /// <summary>The pairs become a ring: 16 bits a bucket, or 32 when a second already holds more.</summary>
    private void Densify()
    {
        var pairs = _sparse!.AsSpan(0, _sparseCount);
        var wide = false;
        foreach (var pair in pairs)
            wide |= (pair & CountMask) > ushort.MaxValue;
        if (wide)
        {
            _wide = new int[_windows.LongestSeconds];
            foreach (var pair in pairs)
                _wide[Slot(pair >> CountBits)] = (int)(pair & CountMask);
        }
        else
        {
            _narrow = new ushort[_windows.LongestSeconds];
            foreach (var pair in pairs)
                _narrow[Slot(pair >> CountBits)] = (ushort)(pair & CountMask);
        }
        _sparse = null;
        _sparseCount = 0;
    }
}
