using System.Text;
using ActorVisits.Processing;

namespace ActorVisits.Tests.Processing;

public sealed class VisitValidationTests
{
    [Theory]
    [InlineData("/store/tech/tv", "/store/tech/tv", true)]
    [InlineData("/store/livres/été", "/store/livres/été", true)]
    [InlineData("/store/tech/tv", "/store/tech/tv2", false)]
    [InlineData("/store/tech/tvx", "/store/tech/tv", false)]
    [InlineData("42.42.183.75", "/store/tech/tv", false)]
    public void A_record_is_keyed_by_url_only_when_its_key_is_the_url_in_utf8(string key, string url, bool keyed) =>
        Assert.Equal(keyed, VisitValidation.IsKeyedByUrl(Encoding.UTF8.GetBytes(key), url));

    [Fact]
    public void A_record_without_a_key_is_not_keyed_by_url() => Assert.False(VisitValidation.IsKeyedByUrl(null, "/store/tech/tv"));
}
