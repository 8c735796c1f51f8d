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
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-03-02T09:21:05"}""", "'timestamp'")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-03-02"}""", "'timestamp'")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":1551518465}""", "'timestamp'")]
    [InlineData("""{"url":"/store/\ntv","timestamp":"2019-03-02T09:21:05Z"}""", "control characters")]
    [InlineData("""{"url":{"path":"/tv"},"timestamp":"2019-03-02T09:21:05Z"}""", "'url'")]
    [InlineData("""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z"} trailing""", "not JSON")]
    public void Rejects_malformed_visits_with_a_reason(string text, string reasonPart)
    {
        Assert.False(VisitJson.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.Contains(reasonPart, error);
    }

    [Fact]
    public void Rejects_a_url_longer_than_2048_bytes_and_accepts_one_of_exactly_2048()
    {
        static string Visit(string url) => $$"""{"url":"{{url}}","timestamp":"2019-03-02T09:21:05Z"}""";
        Assert.True(VisitJson.TryParse(Encoding.UTF8.GetBytes(Visit("/" + new string('a', 2047))), out _, out _));
        Assert.False(VisitJson.TryParse(Encoding.UTF8.GetBytes(Visit("/" + new string('é', 1024))), out _, out var error));
        Assert.Contains("2048", error);
    }

    [Theory]
    [InlineData("2019-03-02T10:21:05.305622+01:00")]
    [InlineData("2019-03-02T09:21:05.305622Z")]
    [InlineData("2019-03-02T04:21:05.305622-05:00")]
    public void Accepts_utc_or_an_offset_and_keeps_the_instant(string timestamp)
    {
        Assert.True(VisitJson.TryParse(Encoding.UTF8.GetBytes($$"""{"url":"/tv","timestamp":"{{timestamp}}"}"""), out var visit, out _));
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero).AddTicks(3_056_220), visit!.Timestamp);
        Assert.Equal(Guid.Empty, visit.Id);
    }
}
