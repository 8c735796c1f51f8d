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
    [InlineData("not json", "not-json")]
    [InlineData("", "not-json")]
    [InlineData("[1,2]", "not-an-object")]
    [InlineData("\"a string\"", "not-an-object")]
    [InlineData("""{"timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: missing field 'url'")]
    [InlineData("""{"url":"","timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' is empty")]
    [InlineData("""{"url":42,"timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' must be a string (got number)")]
    [InlineData("""{"url":null,"timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' must be a string (got null)")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"yesterday"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-03-02T09:21:05"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-03-02"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-02-29T09:21:05Z"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"2019-03-02T09:21:60Z"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"0001-01-01T00:00:00Z"}""", "bad-timestamp: field 'timestamp' is before 1970")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":"9999-12-31T23:59:59-01:00"}""", "bad-timestamp")]
    [InlineData("""{"url":"/store/tech/tv","timestamp":1551518465}""", "bad-timestamp: field 'timestamp' must be a string (got number)")]
    [InlineData("""{"url":"/store/\ntv","timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' contains control characters")]
    [InlineData("""{"url":"/store/\u0085tv","timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' contains control characters")]
    [InlineData("""{"url":{"path":"/tv"},"timestamp":"2019-03-02T09:21:05Z"}""", "bad-url: field 'url' must be a string (got object)")]
    [InlineData("""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z"} trailing""", "not-json")]
    [InlineData("""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z"}{}""", "not-json")]
    [InlineData("""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z",}""", "not-json")]
    [InlineData("""{"url":"/tv",/*c*/"timestamp":"2019-03-02T09:21:05Z"}""", "not-json")]
    [InlineData("{\"url\":\"/tv\",\"timestamp\":\"2019-03-02T09:21:05Z\"", "not-json")]
    [InlineData("""{"url":"/a","url":"/b","timestamp":"2019-03-02T09:21:05Z"}""", "duplicate-field: field 'url' appears more than once")]
    [InlineData("""{"u\u0072l":"/a","url":"/b","timestamp":"2019-03-02T09:21:05Z"}""", "duplicate-field: field 'url'")]
    [InlineData("""{"url":"/a\ud800","timestamp":"2019-03-02T09:21:05Z"}""", "invalid-unicode")]
    [InlineData("""{"url":"/a\udc00\ud800","timestamp":"2019-03-02T09:21:05Z"}""", "invalid-unicode")]
    [InlineData("""{"url":"/a","timestamp":"2019-03-02T09:21:05Z","id":"\ud83d"}""", "invalid-unicode")]
    [InlineData("""{"url":"/a","timestamp":"2019-03-02T09:21:05Z","x":{"\udfff":1}}""", "invalid-unicode")]
    public void Rejects_malformed_visits_with_a_reason(string text, string reasonStart)
    {
        Assert.False(VisitJson.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.StartsWith(reasonStart, error);
    }

    [Theory]
    [InlineData("url")]
    [InlineData("timestamp")]
    [InlineData("id")]
    [InlineData("other")]
    public void Invalid_utf8_anywhere_in_the_value_is_rejected_with_its_position(string field)
    {
        var before = Encoding.UTF8.GetBytes($$"""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z","{{field}}":"/""");
        byte[] value = [.. before, 0xFF, 0xFE, .. "\"}"u8];

        Assert.False(VisitJson.TryParse(value, out _, out var error));

        Assert.Equal($"invalid-utf8: invalid UTF-8 at byte {before.Length} (JSON text must be UTF-8)", error);
    }

    [Fact]
    public void A_byte_order_mark_makes_the_value_not_json() =>
        Assert.StartsWith("not-json", Reason([0xEF, 0xBB, 0xBF, .. """{"url":"/tv","timestamp":"2019-03-02T09:21:05Z"}"""u8]));

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_and_up_to_it_accepted()
    {
        static byte[] Nested(int containers) =>
            Encoding.UTF8.GetBytes("""{"url":"/tv","timestamp":"2019-03-02T09:21:05Z","x":""" + new string('[', containers - 1) + new string(']', containers - 1) + "}");

        Assert.True(VisitJson.TryParse(Nested(VisitJson.MaxNesting), out _, out _));
        Assert.StartsWith("too-deep", Reason(Nested(VisitJson.MaxNesting + 1)));
        Assert.StartsWith("too-deep", Reason(Nested(100_000)));
    }

    [Fact]
    public void Escaped_member_names_and_values_read_as_their_text()
    {
        Assert.True(VisitJson.TryParse("""{"u\u0072l":"\/tv\ud83d\ude00","\u0074imestamp":"2019-03-02\u005409:21:05Z","id":42,"sourceIp":null}"""u8, out var visit, out _));
        Assert.Equal("/tv\U0001F600", visit!.Url);
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero), visit.Timestamp);
        Assert.Equal(Guid.Empty, visit.Id);
        Assert.Equal("", visit.SourceIp);
    }

    private static string Reason(byte[] value)
    {
        Assert.False(VisitJson.TryParse(value, out _, out var error));
        return error!;
    }

    [Fact]
    public void Rejects_a_url_longer_than_2048_bytes_and_accepts_one_of_exactly_2048()
    {
        static string Visit(string url) => $$"""{"url":"{{url}}","timestamp":"2019-03-02T09:21:05Z"}""";
        Assert.True(VisitJson.TryParse(Encoding.UTF8.GetBytes(Visit("/" + new string('a', 2047))), out _, out _));
        Assert.False(VisitJson.TryParse(Encoding.UTF8.GetBytes(Visit("/" + new string('é', 1024))), out _, out var error));
        Assert.Equal("bad-url: field 'url' is longer than 2048 bytes", error);
    }

    [Theory]
    [InlineData("2019-03-02T10:21:05.305622+01:00")]
    [InlineData("2019-03-02T09:21:05.305622Z")]
    [InlineData("2019-03-02T04:21:05.305622-05:00")]
    [InlineData("2019-03-02t09:21:05.305622z")]
    [InlineData("2019-03-02T09:21:05.305622099Z")]
    public void Accepts_utc_or_an_offset_and_keeps_the_instant(string timestamp)
    {
        Assert.True(VisitJson.TryParse(Encoding.UTF8.GetBytes($$"""{"url":"/tv","timestamp":"{{timestamp}}"}"""), out var visit, out _));
        Assert.Equal(new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero).AddTicks(3_056_220), visit!.Timestamp);
        Assert.Equal(Guid.Empty, visit.Id);
    }
}
