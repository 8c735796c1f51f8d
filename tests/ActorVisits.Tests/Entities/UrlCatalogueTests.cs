using ActorVisits.Entities;

namespace ActorVisits.Tests.Entities;

public sealed class UrlCatalogueTests
{
    [Fact]
    public void Urls_are_distinct_catalogue_pages_starting_with_the_tv_page()
    {
        var catalogue = new UrlCatalogue(200);
        Assert.Equal("/store/tech/tv", catalogue.Urls[0]);
        Assert.Equal(200, catalogue.Urls.Distinct().Count());
        Assert.All(catalogue.Urls, url => Assert.StartsWith("/store/", url));
    }

    [Fact]
    public void Popularity_follows_rank()
    {
        var catalogue = new UrlCatalogue(200);
        var random = new Random(42);
        var counts = Enumerable.Range(0, 100_000).Select(_ => catalogue.Pick(random.NextDouble()))
            .GroupBy(url => url).ToDictionary(g => g.Key, g => g.Count());

        var first = counts[catalogue.Urls[0]];
        var tenth = counts[catalogue.Urls[9]];
        // Zipf with s = 1.1: rank 1 is visited 10^1.1 ≈ 12.6 times as often as rank 10.
        Assert.InRange((double)first / tenth, 10, 16);
        Assert.Equal(catalogue.Urls[0], counts.MaxBy(p => p.Value).Key);
    }

    [Fact]
    public void Same_seed_same_visits()
    {
        var now = DateTimeOffset.UtcNow;
        var a = new VisitFactory(new UrlCatalogue(200), new Random(5));
        var b = new VisitFactory(new UrlCatalogue(200), new Random(5));
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => a.Next(now)), Enumerable.Range(0, 100).Select(_ => b.Next(now)));
    }
}
