using System.Text;
using ActorVisits.Entities;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>
/// Visit values a buggy or hostile producer can write: documents built from random members (valid, mistyped, duplicated,
/// reordered, escaped, deeply nested), then mutated byte by byte; and whole records (key, value, headers) of every class
/// of bad input, each with the dead-letter reason code it must get.
/// </summary>
public static class HostileVisits
{
    private static readonly string[] InvalidUtf8 =
    [
        "\x80", "\xBF", "\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xFF", "\xFE", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3",
    ];

    /// <summary>A JSON document from random members; about half of them are valid visits.</summary>
    public static byte[] Document(Random random)
    {
        var members = new List<string>();
        if (random.Next(20) != 0)
            members.Add(Member(Name("url", random), UrlValue(random)));
        if (random.Next(20) != 0)
            members.Add(Member(Name("timestamp", random), TimestampValue(random)));
        if (random.Next(2) == 0)
            members.Add(Member(Name("id", random), random.Next(4) == 0 ? Scalar(random) : Quoted(Guid.NewGuid().ToString())));
        if (random.Next(2) == 0)
            members.Add(Member(Name("sourceIp", random), random.Next(4) == 0 ? Scalar(random) : Quoted("42.42.183.75")));
        for (var extra = random.Next(3); extra > 0; extra--)
            members.Add(Member(Quoted("x" + random.Next(3)), Nested(random, random.Next(10) == 0 ? random.Next(25, 40) : random.Next(4))));
        if (members.Count > 0 && random.Next(10) == 0)
            members.Add(members[random.Next(members.Count)]);                     // a duplicated member
        members = members.OrderBy(_ => random.Next()).ToList();                    // any order
        var body = "{" + string.Join(Space(random) + "," + Space(random), members) + "}";
        var text = random.Next(30) switch
        {
            0 => "[" + body + "]",
            1 => Scalar(random),
            _ => Space(random) + body + Space(random),
        };
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Zero to three byte-level damages: a flipped byte, a cut, an invalid UTF-8 sequence, a raw control character.</summary>
    public static byte[] Mutate(byte[] document, Random random)
    {
        var bytes = document.ToList();
        for (var damage = random.Next(4); damage > 0 && bytes.Count > 0; damage--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.InsertRange(at, Latin1(InvalidUtf8[random.Next(InvalidUtf8.Length)]));
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(0, 0x20));
                    break;
                default:
                    bytes.Insert(at, (byte)random.Next(0x20, 0x7F));
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static string UrlValue(Random random) => random.Next(40) switch
    {
        0 => Quoted(""),
        1 => Quoted("/" + new string('a', 2047)),
        2 => Quoted("/" + new string('a', 2048)),
        3 => Quoted("/" + new string('é', 1023) + "a"),
        4 => "\"/store/\\u0001tv\"",
        5 => "\"/store/\\u0085tv\"",
        6 => "\"/store/\\u007ftv\"",
        7 => "\"/store/\ttv\"",                                    // a raw control character: not JSON
        8 => "\"/a\\ud800\"",
        9 => "\"/a\\udc00\\ud800\"",
        10 => "\"/a\\ud83d\\ude00\"",
        11 => "\"/a\\ud83d\\u0041\"",
        12 => "\"\\/store\\/tech\\u002ftv\"",
        13 => "\"/store/été/😀\"",
        14 or 15 => Scalar(random),
        16 => Nested(random, 2),
        _ => Quoted($"/store/tech/{random.Next(50)}"),
    };

    private static string TimestampValue(Random random) => random.Next(40) switch
    {
        0 => Quoted("2019-03-02T09:21:05"),
        1 => Quoted("2019-03-02 09:21:05Z"),
        2 => Quoted("2019-02-29T09:21:05Z"),
        3 => Quoted("2020-02-29T23:59:59.9999999+23:59"),
        4 => Quoted("2019-03-02T24:00:00Z"),
        5 => Quoted("2019-03-02T09:21:60Z"),
        6 => Quoted("1969-12-31T23:59:59.999Z"),
        7 => Quoted("1970-01-01T00:00:00Z"),
        8 => Quoted("0001-01-01T00:00:00Z"),
        9 => Quoted("9999-12-31T23:59:59-00:01"),
        10 => Quoted("2019-03-02T09:21:05.1234567890Z"),
        11 => Quoted("2019-03-02T09:21:05.Z"),
        12 => Quoted("2019-03-02t09:21:05.305622z"),
        13 => Quoted("2019-03-02T09:21:05+0100"),
        14 => Quoted("2019-03-02T09:21:05+24:00"),
        15 => "\"2019-03-02\\u005409:21:05Z\"",
        16 => Quoted("２０１９-03-02T09:21:05Z"),
        17 or 18 => Scalar(random),
        19 => Quoted($"2019-03-02T09:21:{random.Next(60):00}.{random.Next(1_000_000):000000}-05:00"),
        _ => Quoted($"2019-03-02T09:{random.Next(60):00}:{random.Next(60):00}.{random.Next(1_000_000):000000}Z"),
    };

    private static string Scalar(Random random) => random.Next(6) switch
    {
        0 => "null",
        1 => "true",
        2 => "-0.5e3",
        3 => "42",
        4 => "01",
        _ => "[]",
    };

    /// <summary>A value nested <paramref name="depth"/> containers deep.</summary>
    private static string Nested(Random random, int depth)
    {
        var value = random.Next(8) == 0 ? "\"\\ud800\"" : Scalar(random);
        for (var i = 0; i < depth; i++)
            value = random.Next(2) == 0 ? $"[{value}]" : $"{{\"k\":{value}}}";
        return value;
    }

    private static string Name(string name, Random random) => random.Next(8) == 0
        ? "\"" + string.Concat(name.Select((c, i) => i == 0 ? $"\\u{(int)c:x4}" : c.ToString())) + "\""
        : Quoted(name);

    private static string Member(string name, string value) => $"{name}:{value}";

    private static string Quoted(string text) => "\"" + text + "\"";

    private static string Space(Random random) => random.Next(4) switch
    {
        0 => " ",
        1 => "\r\n\t",
        _ => "",
    };

    private static byte[] Latin1(string bytes) => bytes.Select(c => (byte)c).ToArray();

    /// <summary>The classes of bad record the end-to-end test spreads over the input.</summary>
    public static IReadOnlyList<string> Classes { get; } =
    [
        "invalid UTF-8 in url", "invalid UTF-8 in timestamp", "invalid UTF-8 in id", "lone surrogate escape", "swapped surrogate escapes",
        "truncated JSON", "deep nesting", "duplicated url", "url a number", "url null", "control character in url", "tombstone",
        "over max-visit-bytes", "near the brokers' limit", "before 1970", "timestamp without zone", "random bytes", "byte order mark",
    ];

    /// <summary>
    /// A bad record of class <paramref name="kind"/> (an index in <see cref="Classes"/>) for a visit of <paramref name="url"/>
    /// at <paramref name="at"/>: its key, value, headers and the reason code its dead letter must carry.
    /// </summary>
    public static (byte[]? Key, byte[]? Value, Headers? Headers, string Code) Record(int kind, string url, DateTimeOffset at, Random random)
    {
        var timestamp = VisitJson.FormatTimestamp(at);
        byte[] Text(string json) => Encoding.UTF8.GetBytes(json);
        byte[] WithInvalid(string before, string after) => [.. Text(before), 0xFF, 0xFE, .. Text(after)];
        var key = random.Next(3) switch
        {
            0 => null,
            1 => Latin1("\xFF\xC0\x80" + url),
            _ => Text(url),
        };
        var headers = new Headers
        {
            { "actorvisits.source.partition", random.Next(2) == 0 ? null : Latin1("\xFF") },
            { "h\u0000", RandomBytes(random, random.Next(0, 64)) },
        };
        (byte[]? Value, string Code) bad = Classes[kind] switch
        {
            "invalid UTF-8 in url" => (WithInvalid("{\"url\":\"" + url, $"\",\"timestamp\":\"{timestamp}\"}}"), Rejection.InvalidUtf8),
            "invalid UTF-8 in timestamp" => (WithInvalid($"{{\"url\":\"{url}\",\"timestamp\":\"2019", "\"}"), Rejection.InvalidUtf8),
            "invalid UTF-8 in id" => (WithInvalid($"{{\"id\":\"", $"\",\"url\":\"{url}\",\"timestamp\":\"{timestamp}\"}}"), Rejection.InvalidUtf8),
            "lone surrogate escape" => (Text($"{{\"url\":\"{url}\\ud800\",\"timestamp\":\"{timestamp}\"}}"), Rejection.InvalidUnicode),
            "swapped surrogate escapes" => (Text($"{{\"url\":\"{url}\\udc00\\ud800\",\"timestamp\":\"{timestamp}\"}}"), Rejection.InvalidUnicode),
            "truncated JSON" => (Text($"{{\"url\":\"{url}\",\"timestamp\":\"{timestamp}"), Rejection.NotJson),
            "deep nesting" => (Text($"{{\"url\":\"{url}\",\"timestamp\":\"{timestamp}\",\"x\":{new string('[', 5000)}{new string(']', 5000)}}}"), Rejection.TooDeep),
            "duplicated url" => (Text($"{{\"url\":\"{url}\",\"url\":\"/other\",\"timestamp\":\"{timestamp}\"}}"), Rejection.DuplicateField),
            "url a number" => (Text($"{{\"url\":42,\"timestamp\":\"{timestamp}\"}}"), Rejection.BadUrl),
            "url null" => (Text($"{{\"url\":null,\"timestamp\":\"{timestamp}\"}}"), Rejection.BadUrl),
            "control character in url" => (Text($"{{\"url\":\"{url}\\u0000\",\"timestamp\":\"{timestamp}\"}}"), Rejection.BadUrl),
            "tombstone" => (null, Rejection.NoValue),
            "over max-visit-bytes" => (Text($"{{\"url\":\"{url}\",\"timestamp\":\"{timestamp}\",\"pad\":\"{new string('p', 70_000)}\"}}"), Rejection.TooLarge),
            "near the brokers' limit" => (RandomBytes(random, NearLimitBytes), Rejection.TooLarge),
            "before 1970" => (Text($"{{\"url\":\"{url}\",\"timestamp\":\"0001-01-01T00:00:00Z\"}}"), Rejection.BadTimestamp),
            "timestamp without zone" => (Text($"{{\"url\":\"{url}\",\"timestamp\":\"{timestamp[..^1]}\"}}"), Rejection.BadTimestamp),
            "random bytes" => ([0x7B, .. RandomBytes(random, random.Next(1, 200))], Rejection.InvalidUtf8),
            "byte order mark" => ([0xEF, 0xBB, 0xBF, .. Text($"{{\"url\":\"{url}\",\"timestamp\":\"{timestamp}\"}}")], Rejection.NotJson),
            var other => throw new ArgumentOutOfRangeException(nameof(kind), other, null),
        };
        // Random bytes after '{' are nearly always invalid UTF-8; when they happen not to be, they are still not JSON.
        var code = bad.Code == Rejection.InvalidUtf8 && Classes[kind] == "random bytes" && System.Text.Unicode.Utf8.IsValid(bad.Value) ? Rejection.NotJson : bad.Code;
        return (key, bad.Value, headers, code);
    }

    /// <summary>
    /// A value this large, with its key and the dead-letter headers, exceeds the producer's 1,000,000-byte
    /// message.max.bytes: its dead letter must be cut to be accepted.
    /// </summary>
    public const int NearLimitBytes = 999_900;

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
