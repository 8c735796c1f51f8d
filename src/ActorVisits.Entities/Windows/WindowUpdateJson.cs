using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace ActorVisits.Entities.Windows;

/// <summary>
/// The wire form of a window update:
/// <c>{"url","window","windowSeconds","count","perSecond","windowStart","windowEnd"}</c>, times in whole UTC seconds.
/// </summary>
public static class WindowUpdateJson
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static byte[] Serialize(WindowUpdate update)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("url", update.Url);
            writer.WriteString("window", update.Window.Name);
            writer.WriteNumber("windowSeconds", update.Window.Seconds);
            writer.WriteNumber("count", update.Count);
            writer.WriteNumber("perSecond", Math.Round(update.PerSecond, 6));
            writer.WriteString("windowStart", update.WindowStart.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            writer.WriteString("windowEnd", update.WindowEnd.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the fields a viewer needs back; false when the bytes are not an update.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out string url, out string window, out int count, out DateTimeOffset windowEnd)
    {
        url = window = "";
        count = 0;
        windowEnd = default;
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            url = root.GetProperty("url").GetString() ?? "";
            window = root.GetProperty("window").GetString() ?? "";
            count = root.GetProperty("count").GetInt32();
            windowEnd = DateTimeOffset.Parse(root.GetProperty("windowEnd").GetString()!, CultureInfo.InvariantCulture);
            return url.Length > 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
