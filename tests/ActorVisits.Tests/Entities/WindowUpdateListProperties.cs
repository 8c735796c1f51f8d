using ActorVisits.Entities.Windows;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Entities;

/// <summary>An answer's updates kept as its URL actors' arrays read as the one list they stand for.</summary>
public sealed class WindowUpdateListProperties
{
    private const long Now = 1_551_518_465;

    /// <summary>
    /// Each length is one URL's array (modulo 5, so some are empty); its updates count on from one number over all
    /// arrays. By index, by enumeration and filtered, the list must be the arrays laid end to end, empty ones skipped.
    /// </summary>
    [Property(MaxTest = 500)]
    public bool Reads_as_the_arrays_laid_end_to_end(byte[] lengths, byte divisor)
    {
        var list = new WindowUpdateList();
        var expected = new List<WindowUpdate>();
        var nonEmpty = 0;
        for (var url = 0; url < lengths.Length; url++)
        {
            var updates = Enumerable.Range(expected.Count, lengths[url] % 5)
                .Select(n => new WindowUpdate($"/url/{url}", WindowSet.Default[n % 3], n, Now, InputOffset: n))
                .ToArray();
            list.Add(updates);
            expected.AddRange(updates);
            nonEmpty += updates.Length > 0 ? 1 : 0;
        }
        var every = Math.Max(1, (int)divisor);
        var kept = list.Where(u => u.InputOffset % every == 0);

        return list.Count == expected.Count
               && list.ByUrl.Count == nonEmpty
               && list.ByUrl.All(updates => updates.Length > 0 && updates.All(u => u.Url == updates[0].Url))
               && Enumerable.Range(0, list.Count).Select(i => list[i]).SequenceEqual(expected)
               && list.SequenceEqual(expected)
               && kept.SequenceEqual(expected.Where(u => u.InputOffset % every == 0))
               && kept.Count == kept.Count()
               && kept.ByUrl.All(updates => updates.Length > 0 && updates.All(u => u.Url == updates[0].Url));
    }

    [Fact]
    public void An_index_outside_the_list_is_refused()
    {
        var list = new WindowUpdateList();
        list.Add([new WindowUpdate("/a", WindowSet.Default[0], 1, Now)]);

        Assert.Equal("/a", list[0].Url);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
        // The empty list every empty answer shares stays empty.
        Assert.Throws<InvalidOperationException>(() => WindowUpdateList.Empty.Add([new WindowUpdate("/a", WindowSet.Default[0], 1, Now)]));
        Assert.Empty(WindowUpdateList.Empty);
    }
}
