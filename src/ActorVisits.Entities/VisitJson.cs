using System.Buffers;
using System.Globalization;
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

    /// <summary>Reads a visit; returns false with a reason when the bytes are not a well-formed visit.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Visit? visit, out string? error)
    {
        visit = null;
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return false;
            }
            if (!TryGetString(root, "url", out var url) || url.Length == 0)
            {
                error = "missing or empty string field 'url'";
                return false;
            }
            if (!TryGetString(root, "timestamp", out var timestampText)
                || !DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
            {
                error = "missing or unparseable field 'timestamp'";
                return false;
            }
            var id = TryGetString(root, "id", out var idText) && Guid.TryParse(idText, out var parsed) ? parsed : Guid.Empty;
            var sourceIp = TryGetString(root, "sourceIp", out var ip) ? ip : "";
            visit = new Visit(id, sourceIp, url, timestamp);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
    }

    private static bool TryGetString(JsonElement root, string name, out string value)
    {
        if (root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString()!;
            return true;
        }
        value = "";
        return false;
    }
}
