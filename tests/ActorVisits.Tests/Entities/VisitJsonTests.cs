using System.Text;
using ActorVisits.Entities;

namespace ActorVisits.Tests.Entities;

public sealed class VisitJsonTests
{
    [Fact]
    public void Serializes_the_workshop_format_with_microseconds_in_utc()
    {
        var visit = new Visit(Guid.Parse("5db37baf-5c1a-4e5b-9b0e-2a6a1f0e4b11"), "42.42.183.75", "/store/tech/tv",
            new DateTimeOffset(2019, 3, 2, 10, 21, 5, TimeSpan.FromHours(1)).AddTicks(3056220));

        var json = Encoding.UTF8.GetString(VisitJson.Serialize(visit));

        Assert.Equal("""{"id":"5db37baf-5c1a-4e5b-9b0e-2a6a1f0e4b11","sourceIp":"42.42.183.75","url":"/store/tech/tv","timestamp":"2019-03-02T09:21:05.305622Z"}""", json);
    }

    [Fact]
    public void Round_trips()
    {
        var visit = new VisitFactory(new UrlCatalogue(50), new Random(7)).Next(DateTimeOffset.UtcNow);
        Assert.True(VisitJson.TryParse(VisitJson.Serialize(visit), out var parsed, out _));
        Assert.Equal(visit.Url, parsed!.Url);
        Assert.Equal(visit.Id, parsed.Id);
        Assert.Equal(visit.Timestamp.UtcTicks / 10, parsed.Timestamp.UtcTicks / 10);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"timestamp":"2019-03-02T09:21:05Z"}""", "'url'")]
    [InlineData("""{"url":"","timestamp":"2019-03-02T09:21:05Z"}""", "'url'")]
    [InlineData("""{"url":42,"timestamp":"2019-03-02T09:21:05Z"}""", "'url'")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"yesterday"}""", "'timestamp'")]
    public void Rejects_malformed_visits_with_a_reason(string text, string reasonPart)
    {
        Assert.False(VisitJson.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.Contains(reasonPart, error);
    }
}
