namespace ActorVisits.Entities;

/// <summary>
/// The URL strings recently read, so that a URL seen again is the same string instead of a new one per visit (a
/// visit's URL is kept only as long as it is counted; the popular ones come back many times a second). Holds at most
/// <see cref="Capacity"/> strings and starts afresh when full. One reader at a time: not thread-safe.
/// </summary>
public sealed class UrlStrings(int capacity = UrlStrings.DefaultCapacity)
{
    public const int DefaultCapacity = 65_536;

    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    public int Count => _known.Count;

    /// <summary>The string equal to <paramref name="chars"/>: the one kept, or a new one, kept from now on.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        var lookup = _known.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars, out var known))
            return known;
        if (_known.Count >= Capacity)
            _known.Clear();
        var created = new string(chars);
        _known.Add(created);
        return created;
    }
}
