using ActorVisits.Entities;

namespace ActorVisits.Tests.Entities;

public sealed class UrlStringsTests
{
    [Fact]
    public void A_url_read_again_is_the_same_string()
    {
        var urls = new UrlStrings();
        var first = urls.Get("/store/tech/tv".AsSpan());
        var again = urls.Get("/store/tech/tv".ToCharArray());
        Assert.Equal("/store/tech/tv", first);
        Assert.Same(first, again);
        Assert.NotSame(first, urls.Get("/store/tech/radio".AsSpan()));
    }

    [Fact]
    public void It_holds_at_most_its_capacity_and_starts_afresh_when_full()
    {
        var urls = new UrlStrings(capacity: 3);
        var first = urls.Get("/a".AsSpan());
        urls.Get("/b".AsSpan());
        urls.Get("/c".AsSpan());
        Assert.Equal(3, urls.Count);
        Assert.Same(first, urls.Get("/a".AsSpan()));
        urls.Get("/d".AsSpan());
        Assert.Equal(1, urls.Count);
        var later = urls.Get("/a".AsSpan());
        Assert.Equal("/a", later);
        Assert.NotSame(first, later);
    }

    [Fact]
    public void A_capacity_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UrlStrings(capacity: 0));
    }
}
