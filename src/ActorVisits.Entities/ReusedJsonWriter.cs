using System.Buffers;
using System.Text.Json;

namespace ActorVisits.Entities;

/// <summary>
/// A JSON writer and its buffer kept (per thread, by the caller) for documents written one after another on hot paths:
/// the generator's visits, three window updates per visit. Each caller keeps a slot of its own, so the bytes one
/// returns are not overwritten by another's document.
/// </summary>
internal static class ReusedJsonWriter
{
    /// <summary>
    /// URLs as they are (`/search?q=a+b&amp;c=é`, not `a\u002Bb\u0026c=\u00E9`): the value's url then reads as the record's
    /// key, byte for byte. Quotes, backslashes and control characters are still escaped; these documents go to Kafka,
    /// never into HTML unencoded (the dashboard sets text, not markup).
    /// </summary>
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The slot's writer (made on first use), emptied for a new document, and the buffer it writes to.</summary>
    public static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer) Start(ref (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? slot)
    {
        if (slot is not { } reused)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            slot = reused = (buffer, new Utf8JsonWriter(buffer, Options));
        }
        reused.Buffer.ResetWrittenCount();
        reused.Writer.Reset(reused.Buffer);
        return reused;
    }
}
