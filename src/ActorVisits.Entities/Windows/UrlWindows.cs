namespace ActorVisits.Entities.Windows;

/// <summary>
/// One URL's visit counts over every window of a <see cref="WindowSet"/>, evaluated at a clock second <c>now</c>: the
/// window of N seconds covers the seconds <c>now-N+1 .. now</c>. A ring of one-second buckets sized for the longest
/// window, and a running sum per window: adding a visit and advancing the clock by one second are O(windows), and the
/// memory does not depend on traffic. Methods return a bit mask of the windows whose count changed (bit i = window i).
/// Buckets hold 16 bits (600 bytes for 5 minutes, for each of possibly a million URLs) until a second of one URL passes
/// 65,535 visits; the ring then widens to 32 bits.
/// </summary>
public sealed class UrlWindows
{
    private readonly WindowSet _windows;
    private readonly int[] _sums;
    private ushort[]? _narrow;
    private int[]? _wide;

    public UrlWindows(WindowSet windows, long now)
    {
        _windows = windows;
        _narrow = new ushort[windows.LongestSeconds];
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
        Increment(Slot(second));
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
            if (_wide is null)
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
                var leaving = Bucket(Slot(second - _windows[i].Seconds));
                if (leaving != 0)
                {
                    _sums[i] -= leaving;
                    changed |= 1u << i;
                }
            }
            // The longest window's leaving second shares its slot with the new second.
            ClearBucket(Slot(second));
        }
        Now = now;
        return changed;
    }

    private int Slot(long second)
    {
        var length = _windows.LongestSeconds;
        return (int)(((second % length) + length) % length);
    }

    private int Bucket(int slot) => _wide is null ? _narrow![slot] : _wide[slot];

    private void ClearBucket(int slot)
    {
        if (_wide is null)
            _narrow![slot] = 0;
        else
            _wide[slot] = 0;
    }

    private void Increment(int slot)
    {
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
}
