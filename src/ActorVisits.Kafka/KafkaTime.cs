using Confluent.Kafka;

namespace ActorVisits.Kafka;

/// <summary>
/// Record timestamps as times. A producer may stamp a record with any 64-bit count of milliseconds; one outside what
/// <see cref="DateTimeOffset"/> holds (years 1 to 9999) is no time here, where <see cref="Timestamp.UtcDateTime"/>
/// would throw out of the stream, and throw again on every restart at the same record.
/// </summary>
public static class KafkaTime
{
    private static readonly long MinMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>The record's time, unless it has none or one outside years 1 to 9999.</summary>
    public static bool TryGetTime(Timestamp timestamp, out DateTimeOffset time)
    {
        var ms = timestamp.UnixTimestampMs;
        if (timestamp.Type == TimestampType.NotAvailable || ms < MinMs || ms > MaxMs)
        {
            time = default;
            return false;
        }
        time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    /// <summary><paramref name="unixMs"/> as a time, the nearest one that exists for milliseconds outside years 1 to 9999.</summary>
    public static DateTimeOffset Clamped(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(unixMs, MinMs, MaxMs));
}
