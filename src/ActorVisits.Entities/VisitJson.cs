using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ActorVisits.Entities;

/// <summary>
/// The wire form of a visit: <c>{"id","sourceIp","url","timestamp"}</c>, timestamp in UTC ISO-8601 with microseconds.
/// </summary>
public static class VisitJson
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    // One writer per thread, reset for each visit: the generator serializes every visit it produces.
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _perThread;

    public static byte[] Serialize(Visit visit) => SerializeInPlace(visit).ToArray();

    /// <summary>
    /// <paramref name="visit"/>'s JSON in this thread's reused buffer, valid until the thread serializes its next visit:
    /// for a producer that copies the bytes at once (librdkafka with its copy flag).
    /// </summary>
    public static ReadOnlySpan<byte> SerializeInPlace(Visit visit)
    {
        var (buffer, writer) = ReusedJsonWriter.Start(ref _perThread);
        writer.WriteStartObject();
        writer.WriteString("id"u8, visit.Id);
        writer.WriteString("sourceIp"u8, visit.SourceIp);
        writer.WriteString("url"u8, visit.Url);
        Span<byte> timestamp = stackalloc byte[32];
        visit.Timestamp.UtcDateTime.TryFormat(timestamp, out var written, TimestampFormat, CultureInfo.InvariantCulture);
        writer.WriteString("timestamp"u8, timestamp[..written]);
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan;
    }

    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>Longest URL accepted, in UTF-8 bytes.</summary>
    public const int MaxUrlBytes = 2048;

    /// <summary>Most JSON containers open at once (the visit object itself is one): deeper values are refused unread.</summary>
    public const int MaxNesting = 32;

    /// <summary>
    /// Reads a visit; returns false with a reason (<c>code: detail</c>, see <see cref="Rejection"/>) when the bytes are
    /// not a valid visit. Never throws, whatever the bytes.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Visit? visit, [NotNullWhen(false)] out string? error)
    {
        if (TryRead(utf8, out visit, out var rejection))
        {
            error = null;
            return true;
        }
        error = rejection.ToString();
        return false;
    }

    /// <summary>
    /// Reads a visit, or says why the bytes are not one. A valid visit is UTF-8 JSON text (RFC 8259: no comments, no
    /// trailing commas or content) whose every string is valid Unicode (no unpaired surrogate escape), nested at most
    /// <see cref="MaxNesting"/> deep, holding one object with a string <c>url</c> (non-empty, at most
    /// <see cref="MaxUrlBytes"/> UTF-8 bytes, no control characters) and a string <c>timestamp</c> in RFC 3339
    /// (<see cref="Rfc3339"/>) not before 1970-01-01T00:00:00Z. Neither field may appear twice. <c>id</c> and
    /// <c>sourceIp</c> are read when they are strings; every other member may hold any JSON value.
    /// Problems are reported in this order: UTF-8, then the first problem of the JSON text in reading order, then the fields.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Visit? visit, out Rejection rejection)
    {
        visit = null;
        var fields = new Fields { ReadIdentity = true };
        if (!TryReadFields(utf8, ref fields, out rejection))
            return false;
        var id = fields.Id is not null && Guid.TryParse(fields.Id, out var parsed) ? parsed : Guid.Empty;
        visit = new Visit(id, fields.SourceIp ?? "", fields.Url!, fields.Timestamp);
        return true;
    }

    /// <summary>
    /// What counting a visit needs, its URL and time, under exactly the rules of <see cref="TryRead"/>, without making
    /// strings of <c>id</c> and <c>sourceIp</c>; the URL is taken from <paramref name="urls"/> when given (the same
    /// string for every visit of a URL).
    /// </summary>
    public static bool TryReadUrlAndTime(ReadOnlySpan<byte> utf8, UrlStrings? urls, [NotNullWhen(true)] out string? url, out DateTimeOffset timestamp, out Rejection rejection)
    {
        url = null;
        timestamp = default;
        var fields = new Fields { Urls = urls };
        if (!TryReadFields(utf8, ref fields, out rejection))
            return false;
        (url, timestamp) = (fields.Url!, fields.Timestamp);
        return true;
    }

    private static bool TryReadFields(ReadOnlySpan<byte> utf8, ref Fields fields, out Rejection rejection)
    {
        if (!Utf8.IsValid(utf8))
        {
            rejection = new Rejection(Rejection.InvalidUtf8, $"invalid UTF-8 at byte {FirstInvalidUtf8(utf8)} (JSON text must be UTF-8)");
            return false;
        }
        if (!TryReadObject(utf8, ref fields, out rejection))
            return false;
        if (!fields.UrlSeen)
            return Reject(out rejection, Rejection.BadUrl, "missing field 'url'");
        if (fields.UrlKind is not JsonTokenType.String)
            return Reject(out rejection, Rejection.BadUrl, $"field 'url' must be a string (got {KindName(fields.UrlKind)})");
        if (fields.UrlTooLong)
            return Reject(out rejection, Rejection.BadUrl, $"field 'url' is longer than {MaxUrlBytes} bytes");
        var url = fields.Url!;
        if (url.Length == 0)
            return Reject(out rejection, Rejection.BadUrl, "field 'url' is empty");
        if (Encoding.UTF8.GetByteCount(url) > MaxUrlBytes)
            return Reject(out rejection, Rejection.BadUrl, $"field 'url' is longer than {MaxUrlBytes} bytes");
        if (url.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0 || url.AsSpan().IndexOfAnyInRange('\u007f', '\u009f') >= 0)
            return Reject(out rejection, Rejection.BadUrl, "field 'url' contains control characters");
        if (!fields.TimestampSeen)
            return Reject(out rejection, Rejection.BadTimestamp, "missing field 'timestamp'");
        if (fields.TimestampKind is not JsonTokenType.String)
            return Reject(out rejection, Rejection.BadTimestamp, $"field 'timestamp' must be a string (got {KindName(fields.TimestampKind)})");
        if (!fields.TimestampValid)
            return Reject(out rejection, Rejection.BadTimestamp, "field 'timestamp' is not an RFC 3339 date-time with its zone, such as 2019-03-02T09:21:05.305622Z");
        if (fields.Timestamp < DateTimeOffset.UnixEpoch)
            return Reject(out rejection, Rejection.BadTimestamp, "field 'timestamp' is before 1970-01-01T00:00:00Z");
        rejection = default;
        return true;
    }

    private static bool TryReadObject(ReadOnlySpan<byte> utf8, ref Fields fields, out Rejection rejection)
    {
        // One more level than allowed, so that this class reports a value too deep before the reader would throw.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxNesting + 1 });
        try
        {
            if (!reader.Read())
                return Reject(out rejection, Rejection.NotJson, "empty value");
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                // The whole text must still be one valid JSON value before its kind is what counts.
                if (!TryReadValue(ref reader, out rejection) || !TryEnd(ref reader, out rejection))
                    return false;
                return Reject(out rejection, Rejection.NotAnObject, $"the value is a JSON {KindName(reader.TokenType)}, not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!ValidStrings(ref reader, out rejection))
                    return false;
                var field = reader.ValueTextEquals("url"u8) ? Field.Url
                    : reader.ValueTextEquals("timestamp"u8) ? Field.Timestamp
                    : reader.ValueTextEquals("id"u8) ? Field.Id
                    : reader.ValueTextEquals("sourceIp"u8) ? Field.SourceIp
                    : Field.Other;
                if (fields.Seen(field))
                    return Reject(out rejection, Rejection.DuplicateField, $"field '{FieldName(field)}' appears more than once");
                reader.Read();
                if (!TryReadValue(ref reader, out rejection))
                    return false;
                fields.Take(field, ref reader);
            }
            return TryEnd(ref reader, out rejection);
        }
        catch (JsonException e)
        {
            return Reject(out rejection, Rejection.NotJson, e.Message);
        }
    }

    /// <summary>The value the reader is on, read to its end: every string checked, nesting bounded.</summary>
    private static bool TryReadValue(ref Utf8JsonReader reader, out Rejection rejection)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            return ValidStrings(ref reader, out rejection);
        var depth = reader.CurrentDepth;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth + 1 > MaxNesting:
                    return Reject(out rejection, Rejection.TooDeep, $"JSON nested deeper than {MaxNesting} levels");
                case JsonTokenType.PropertyName or JsonTokenType.String when !ValidStrings(ref reader, out rejection):
                    return false;
                case JsonTokenType.EndObject or JsonTokenType.EndArray when reader.CurrentDepth == depth:
                    rejection = default;
                    return true;
            }
        }
        while (reader.Read());
        return Reject(out rejection, Rejection.NotJson, "the JSON text ends inside a value");
    }

    /// <summary>After the top-level value: nothing but white space.</summary>
    private static bool TryEnd(ref Utf8JsonReader reader, out Rejection rejection)
    {
        if (reader.CurrentDepth > 0)
            return Reject(out rejection, Rejection.NotJson, "the JSON text ends inside a value");
        if (reader.Read())
            return Reject(out rejection, Rejection.NotJson, "more than one JSON value");
        rejection = default;
        return true;
    }

    /// <summary>A string or property name whose escapes decode to valid Unicode: no unpaired surrogate.</summary>
    private static bool ValidStrings(ref Utf8JsonReader reader, out Rejection rejection)
    {
        rejection = default;
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
            return true;
        if (EscapesArePaired(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan))
            return true;
        return Reject(out rejection, Rejection.InvalidUnicode,
            $"a {(reader.TokenType == JsonTokenType.PropertyName ? "member name" : "string")} holds an unpaired surrogate escape (\\uD800-\\uDFFF)");
    }

    /// <summary>Walks the escapes of a raw JSON string (already checked by the reader): every high surrogate is followed by a low one.</summary>
    private static bool EscapesArePaired(ReadOnlySpan<byte> raw)
    {
        var expectLow = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                if (expectLow)
                    return false;
                continue;
            }
            var escaped = raw[++i];
            if (escaped != 'u')
            {
                if (expectLow)
                    return false;
                continue;
            }
            var unit = HexValue(raw.Slice(i + 1, 4));
            i += 4;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (expectLow)
                    return false;
                expectLow = true;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!expectLow)
                    return false;
                expectLow = false;
            }
            else if (expectLow)
                return false;
        }
        return !expectLow;
    }

    private static int HexValue(ReadOnlySpan<byte> hex)
    {
        var value = 0;
        foreach (var digit in hex)
            value = value * 16 + (digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10);
        return value;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var chars = new char[utf8.Length];
        Utf8.ToUtf16(utf8, chars, out var valid, out _, replaceInvalidSequences: false);
        return valid;
    }

    private static bool Reject(out Rejection rejection, string code, string detail)
    {
        rejection = new Rejection(code, detail);
        return false;
    }

    private static string KindName(JsonTokenType kind) => kind switch
    {
        JsonTokenType.StartObject or JsonTokenType.EndObject => "object",
        JsonTokenType.StartArray or JsonTokenType.EndArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        _ => "null",
    };

    private enum Field
    {
        Url,
        Timestamp,
        Id,
        SourceIp,
        Other,
    }

    private static string FieldName(Field field) => field switch
    {
        Field.Url => "url",
        Field.Timestamp => "timestamp",
        Field.Id => "id",
        _ => "sourceIp",
    };

    /// <summary>What the top-level members said about the fields a visit has.</summary>
    private ref struct Fields
    {
        private int _seen;

        public bool UrlSeen => (_seen & (1 << (int)Field.Url)) != 0;

        public bool TimestampSeen => (_seen & (1 << (int)Field.Timestamp)) != 0;

        public JsonTokenType UrlKind;
        public string? Url;
        public JsonTokenType TimestampKind;
        public bool TimestampValid;
        public DateTimeOffset Timestamp;
        public string? Id;
        public string? SourceIp;

        /// <summary>Whether <c>id</c> and <c>sourceIp</c> are read (a string each); counting needs neither.</summary>
        public bool ReadIdentity;

        /// <summary>Where the URL string comes from, if not made anew.</summary>
        public UrlStrings? Urls;

        /// <summary>The URL, read through <see cref="Urls"/>, has more characters than a valid one can have bytes: not kept.</summary>
        public bool UrlTooLong;

        /// <summary>Records <paramref name="field"/>; true when it was seen already (other members may repeat).</summary>
        public bool Seen(Field field)
        {
            if (field == Field.Other)
                return false;
            var bit = 1 << (int)field;
            var seen = (_seen & bit) != 0;
            _seen |= bit;
            return seen;
        }

        /// <summary>Reads a field's value; the reader is on the value (the last token of it for a container).</summary>
        public void Take(Field field, ref Utf8JsonReader reader)
        {
            var kind = reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray
                ? (reader.TokenType == JsonTokenType.EndObject ? JsonTokenType.StartObject : JsonTokenType.StartArray)
                : reader.TokenType;
            var isString = kind == JsonTokenType.String;
            switch (field)
            {
                case Field.Url:
                    UrlKind = kind;
                    Url = isString ? ReadUrl(ref reader) : null;
                    break;
                case Field.Timestamp:
                    TimestampKind = kind;
                    TimestampValid = isString && TryReadTimestamp(ref reader, out Timestamp);
                    break;
                case Field.Id when isString && ReadIdentity:
                    Id = reader.GetString();
                    break;
                case Field.SourceIp when isString && ReadIdentity:
                    SourceIp = reader.GetString();
                    break;
            }
        }

        private string? ReadUrl(ref Utf8JsonReader reader)
        {
            if (Urls is null)
                return reader.GetString();
            // Unescaped, a URL has at most as many UTF-16 characters as its JSON text has bytes.
            var raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            // An escape takes at most 6 bytes per character: more bytes than that unescape to too many characters.
            if (raw > 6 * MaxUrlBytes)
            {
                UrlTooLong = true;
                return "";
            }
            Span<char> chars = raw <= 512 ? stackalloc char[(int)raw] : new char[raw];
            var written = reader.CopyString(chars);
            if (written > MaxUrlBytes)
            {
                // More UTF-16 characters than bytes allowed: more UTF-8 bytes too. Not worth keeping.
                UrlTooLong = true;
                return "";
            }
            return Urls.Get(chars[..written]);
        }

        private static bool TryReadTimestamp(ref Utf8JsonReader reader, out DateTimeOffset timestamp)
        {
            timestamp = default;
            if (!reader.ValueIsEscaped && !reader.HasValueSequence)
                return Rfc3339.TryParse(reader.ValueSpan, out timestamp);
            // Escaped (legal JSON, if odd): unescape first; anything longer than a date-time can be is not one.
            Span<byte> unescaped = stackalloc byte[Rfc3339.MaxLength * 6];
            var raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            if (raw > unescaped.Length)
                return false;
            var written = reader.CopyString(unescaped);
            return Rfc3339.TryParse(unescaped[..written], out timestamp);
        }
    }
}
