using System.Diagnostics.CodeAnalysis;
using System.Text;
using ActorVisits.Entities;
using ActorVisits.Kafka;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>Which records count as visits; the others are dead letters. The same rule for live records and replays.</summary>
internal static class VisitValidation
{
    /// <summary>
    /// A countable visit, or the reason the record is not one. Never throws: any key, value or headers give one or the
    /// other. A value over <paramref name="maxVisitBytes"/> is refused without being parsed. Counting needs only the
    /// visit's URL (from <paramref name="urls"/> when given: one string per URL) and time.
    /// </summary>
    public static bool TryValidate(ConsumeResult<byte[], byte[]> record, DateTimeOffset readAt, TimeSpan maxFutureSkew, int maxVisitBytes, UrlStrings? urls,
        [NotNullWhen(true)] out string? url, out DateTimeOffset timestamp, out Rejection rejection) =>
        TryValidate(record.Message.Value, record.Message.Value is not null, record.Message.Timestamp, readAt, maxFutureSkew, maxVisitBytes, urls, out url, out timestamp, out rejection);

    /// <summary>The same rule for a value read in place: <paramref name="hasValue"/> false for a record without one.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> value, bool hasValue, Timestamp recordTimestamp, DateTimeOffset readAt, TimeSpan maxFutureSkew, int maxVisitBytes,
        UrlStrings? urls, [NotNullWhen(true)] out string? url, out DateTimeOffset timestamp, out Rejection rejection)
    {
        url = null;
        timestamp = default;
        if (!hasValue)
        {
            rejection = new Rejection(Rejection.NoValue, "the record has no value (a tombstone)");
            return false;
        }
        if (value.Length > maxVisitBytes)
        {
            rejection = new Rejection(Rejection.TooLarge, $"the value is {value.Length} bytes, more than max-visit-bytes ({maxVisitBytes})");
            return false;
        }
        if (!VisitJson.TryReadUrlAndTime(value, urls, out var parsedUrl, out var parsedTime, out rejection))
            return false;
        if (parsedTime > WrittenAt(recordTimestamp, readAt) + maxFutureSkew)
        {
            rejection = new Rejection(Rejection.FutureTimestamp,
                $"timestamp more than {maxFutureSkew.TotalSeconds:0} s ahead of when the record was written (its Kafka timestamp, or the wall clock if earlier)");
            return false;
        }
        (url, timestamp) = (parsedUrl, parsedTime);
        return true;
    }

    /// <summary>
    /// The time a visit may be at most <c>max-future-skew</c> ahead of: when its record was written to Kafka (its
    /// timestamp), or <paramref name="readAt"/> if that is earlier (a record stamped in the future) or more than
    /// <see cref="WrittenWithin"/> earlier. Not the wall clock alone: a replay, minutes later, must judge a record as it
    /// was judged when first read, or a visit dead-lettered then would be counted in the rebuilt windows. A record
    /// without a time (or one outside years 1 to 9999) is judged by <paramref name="readAt"/>.
    /// </summary>
    public static DateTimeOffset WrittenAt(Timestamp recordTimestamp, DateTimeOffset readAt) =>
        TryGetWritten(recordTimestamp, readAt, out var written) ? written : readAt;

    /// <summary>
    /// How long before its read a record's timestamp is taken as when it was written: a rebuild replays records of
    /// minutes before. Older stamps (a producer that stamps records with its visits' old times, or with nonsense such
    /// as 1970) say nothing of the record's write, and the visit is judged by the wall clock.
    /// </summary>
    public static readonly TimeSpan WrittenWithin = TimeSpan.FromDays(1);

    /// <summary>
    /// When the record was written, in Unix seconds, for the partition's clock (<see cref="PartitionClock"/>): its Kafka
    /// timestamp, unless that is after <paramref name="readAt"/> (a producer's clock ahead: moving the stream time
    /// there would make every visit late) or more than <see cref="WrittenWithin"/> before it; then unknown.
    /// </summary>
    public static long WrittenSecond(Timestamp recordTimestamp, DateTimeOffset readAt) =>
        TryGetWritten(recordTimestamp, readAt, out var written) ? written.ToUnixTimeSeconds() : Entities.Windows.PartitionClock.Unknown;

    /// <summary>The record's timestamp, when it says when the record was written: not after its read, nor more than <see cref="WrittenWithin"/> before it.</summary>
    private static bool TryGetWritten(Timestamp recordTimestamp, DateTimeOffset readAt, out DateTimeOffset written) =>
        KafkaTime.TryGetTime(recordTimestamp, out written) && written <= readAt && readAt - written <= WrittenWithin;

    /// <summary>
    /// Whether the record's key is its URL in UTF-8. Counting relies on it: a URL whose records are spread over several
    /// partitions gets one count per partition.
    /// </summary>
    public static bool IsKeyedByUrl(byte[]? key, string url)
    {
        if (key is null || key.Length < url.Length || key.Length > Encoding.UTF8.GetMaxByteCount(url.Length))
            return false;
        Span<byte> encoded = key.Length <= 1024 ? stackalloc byte[key.Length] : new byte[key.Length];
        return Encoding.UTF8.TryGetBytes(url, encoded, out var written) && written == key.Length && encoded.SequenceEqual(key);
    }
}
