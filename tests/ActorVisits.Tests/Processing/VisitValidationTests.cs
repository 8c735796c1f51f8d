using System.Text;
using ActorVisits.Entities;
using ActorVisits.Processing;
using Confluent.Kafka;

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

    private static readonly DateTimeOffset Written = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);

    private static bool Valid(TimeSpan visitAfterWritten, Timestamp recordTimestamp, DateTimeOffset readAt, out Rejection rejection)
    {
        var value = Encoding.UTF8.GetBytes($"{{\"url\":\"/store/tech/tv\",\"timestamp\":\"{VisitJson.FormatTimestamp(Written + visitAfterWritten)}\"}}");
        return VisitValidation.TryValidate(value, true, recordTimestamp, readAt, Skew, 10_000, null, out _, out _, out rejection);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(120)]
    [InlineData(3_600)]
    public void A_visit_more_than_the_skew_ahead_of_its_records_timestamp_is_a_future_timestamp_however_late_it_is_read(int readSecondsAfterWritten)
    {
        // As read live (0) and as a rebuild reads it again minutes later: the same verdict both ways.
        var readAt = Written.AddSeconds(readSecondsAfterWritten);
        Assert.False(Valid(TimeSpan.FromSeconds(90), new Timestamp(Written), readAt, out var rejection));
        Assert.Equal(Rejection.FutureTimestamp, rejection.Code);
        Assert.True(Valid(TimeSpan.FromSeconds(59), new Timestamp(Written), readAt, out _));
    }

    [Theory]
    [InlineData(long.MaxValue, TimestampType.CreateTime)]
    [InlineData(253_402_300_800_000, TimestampType.CreateTime)]
    [InlineData(0, TimestampType.NotAvailable)]
    [InlineData(1, TimestampType.CreateTime)]
    public void A_record_stamped_in_the_future_long_before_its_read_or_without_a_time_is_judged_by_the_wall_clock_when_read(long timestampMs, TimestampType type)
    {
        var readAt = Written;
        Assert.True(Valid(TimeSpan.FromSeconds(59), new Timestamp(timestampMs, type), readAt, out _));
        Assert.False(Valid(TimeSpan.FromSeconds(61), new Timestamp(timestampMs, type), readAt, out var rejection));
        Assert.Equal(Rejection.FutureTimestamp, rejection.Code);
    }
}
