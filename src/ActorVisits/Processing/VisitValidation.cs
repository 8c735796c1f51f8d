using System.Text;
using ActorVisits.Entities;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>Which records count as visits; the others are dead letters. The same rule for live records and replays.</summary>
internal static class VisitValidation
{
    /// <summary>A countable visit, or the reason the record is not one.</summary>
    public static bool TryValidate(ConsumeResult<byte[], byte[]> record, DateTimeOffset readAt, TimeSpan maxFutureSkew, out Visit visit, out string reason)
    {
        visit = null!;
        if (record.Message.Value is null)
        {
            reason = "no value";
            return false;
        }
        if (!VisitJson.TryParse(record.Message.Value, out var parsed, out var error))
        {
            reason = error!;
            return false;
        }
        if (parsed!.Timestamp > readAt + maxFutureSkew)
        {
            reason = $"timestamp more than {maxFutureSkew.TotalSeconds:0} s ahead of the wall clock";
            return false;
        }
        visit = parsed;
        reason = "";
        return true;
    }

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
