using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ActorVisits.Entities;

/// <summary>
/// The wire form of a visit: <c>{"id","sourceIp","url","timestamp"}</c>, timestamp in UTC ISO-8601 with microseconds.
/// </summary>
public static class VisitJson
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static byte[] Serialize(Visit visit)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", visit.Id);
            writer.WriteString("sourceIp", visit.SourceIp);
            writer.WriteString("url", visit.Url);
            writer.WriteString("timestamp", FormatTimestamp(visit.Timestamp));
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>Longest URL accepted, in UTF-8 bytes.</summary>
    public const int MaxUrlBytes = 2048;

    /// <summary>
    /// Reads a visit; returns false with a reason when the bytes are not a valid visit: a JSON object with a non-empty
    /// string <c>url</c> (at most <see cref="MaxUrlBytes"/> bytes, no control characters) and an ISO-8601
    /// <c>timestamp</c> with its zone (<c>Z</c> or an offset). <c>id</c> and <c>sourceIp</c> are optional.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Visit? visit, out string? error)
    {
        visit = null;
        string? url = null, timestampText = null, idText = null, sourceIp = null;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var isUrl = name.SequenceEqual("url"u8);
                var isTimestamp = name.SequenceEqual("timestamp"u8);
                var isId = name.SequenceEqual("id"u8);
                var isSourceIp = name.SequenceEqual("sourceIp"u8);
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                    if (isUrl)
                        url = null;
                    continue;
                }
                var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (isUrl)
                    url = text;
                else if (isTimestamp)
                    timestampText = text;
                else if (isId)
                    idText = text;
                else if (isSourceIp)
                    sourceIp = text;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "not a JSON object";
                return false;
            }
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
        if (url is null or { Length: 0 })
        {
            error = "missing or empty string field 'url'";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(url) > MaxUrlBytes || url.Any(char.IsControl))
        {
            error = $"field 'url' is longer than {MaxUrlBytes} bytes or contains control characters";
            return false;
        }
        if (timestampText is null || !TryParseTimestamp(timestampText, out var timestamp))
        {
            error = "missing or unparseable field 'timestamp' (ISO-8601 with Z or an offset)";
            return false;
        }
        var id = idText is not null && Guid.TryParse(idText, out var parsed) ? parsed : Guid.Empty;
        visit = new Visit(id, sourceIp ?? "", url, timestamp);
        error = null;
        return true;
    }

    /// <summary>An ISO-8601 date and time that states its zone: <c>Z</c> or <c>±hh:mm</c>.</summary>
    private static bool TryParseTimestamp(string text, out DateTimeOffset timestamp)
    {
        timestamp = default;
        var hasZone = text.EndsWith('Z') || text.EndsWith('z')
                      || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasZone && text.Contains('T')
               && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out timestamp);
    }
}
