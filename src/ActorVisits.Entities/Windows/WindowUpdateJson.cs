using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace ActorVisits.Entities.Windows;

/// <summary>
/// The wire form of a window update:
/// <c>{"url","window","windowSeconds","count","perSecond","windowStart","windowEnd","generation","inputPartition","inputOffset"}</c>,
/// times in whole UTC seconds; the last three give its <see cref="UpdateVersion"/> (docs/windows.md, Output).
/// </summary>
public static class WindowUpdateJson
{
    // One writer per thread, reset for each update: serializing is on the hot path (three updates per visit or more).
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _perThread;

    /// <summary>The update as produced for input partition <paramref name="inputPartition"/> owned in group generation <paramref name="generation"/>.</summary>
    public static byte[] Serialize(in WindowUpdate update, int inputPartition = -1, int generation = -1) =>
        Write(in update, inputPartition, generation).ToArray();

    /// <summary>
    /// <see cref="Serialize"/> into this thread's buffer, without allocating: the bytes are valid until the thread's
    /// next call.
    /// </summary>
    public static ReadOnlySpan<byte> Write(in WindowUpdate update, int inputPartition = -1, int generation = -1)
    {
        var (buffer, writer) = ReusedJsonWriter.Start(ref _perThread);
        writer.WriteStartObject();
        writer.WriteString("url"u8, update.Url);
        writer.WriteString("window"u8, update.Window.Name);
        writer.WriteNumber("windowSeconds"u8, update.Window.Seconds);
        writer.WriteNumber("count"u8, update.Count);
        writer.WriteNumber("perSecond"u8, Math.Round(update.PerSecond, 6));
        WriteTime(writer, "windowStart"u8, update.WindowStart);
        WriteTime(writer, "windowEnd"u8, update.WindowEnd);
        writer.WriteNumber("generation"u8, generation);
        writer.WriteNumber("inputPartition"u8, inputPartition);
        writer.WriteNumber("inputOffset"u8, update.InputOffset);
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan;
    }

    private static void WriteTime(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset time)
    {
        Span<byte> text = stackalloc byte[24];
        // The sortable standard format (yyyy-MM-ddTHH:mm:ss) has a fast path a custom one does not; UTC is said by the Z.
        time.UtcDateTime.TryFormat(text, out var written, "s", CultureInfo.InvariantCulture);
        text[written++] = (byte)'Z';
        writer.WriteString(name, text[..written]);
    }

    /// <summary>An update's <see cref="UpdateVersion"/> (-1 for what it does not say); false when the bytes are not an update.</summary>
    public static bool TryParseVersion(ReadOnlySpan<byte> utf8, out UpdateVersion version)
    {
        version = default;
        if (!TryParse(utf8, out _, out _, out _, out var windowEnd))
            return false;
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            version = new UpdateVersion(
                root.TryGetProperty("generation", out var generation) ? generation.GetInt32() : -1,
                root.TryGetProperty("inputOffset", out var offset) ? offset.GetInt64() : -1,
                windowEnd);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
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
            // A null or out-of-range end (a hand-written record) is no update either, not a reader's failure.
            if (root.GetProperty("windowEnd").GetString() is not { } end
                || !DateTimeOffset.TryParse(end, CultureInfo.InvariantCulture, DateTimeStyles.None, out windowEnd))
                return false;
            return url.Length > 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return false;
        }
    }
}
