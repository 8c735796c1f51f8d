using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorVisits.Tests.Support;

/// <summary>
/// An independent statement of what a valid visit is (docs/bad-input.md), written without System.Text.Json: the bytes
/// decoded by a strict UTF-8 decoder, a hand-written RFC 8259 parser that keeps every member (duplicates included), and
/// the field rules as the docs state them. The property tests hold the real parser to it.
/// </summary>
public static partial class VisitReference
{
    private const int MaxNesting = 32;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The visit's URL and instant when <paramref name="value"/> is valid; null otherwise.</summary>
    public static (string Url, DateTimeOffset Timestamp)? Read(byte[] value)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var parser = new Parser(text);
        if (!parser.TryParseDocument(out var root) || root is not List<(string Name, object? Value)> members)
            return null;
        string[] known = ["url", "timestamp", "id", "sourceIp"];
        if (known.Any(name => members.Count(m => m.Name == name) > 1))
            return null;
        if (members.FirstOrDefault(m => m.Name == "url").Value is not JsonString { Text: var url }
            || url.Length == 0 || Encoding.UTF8.GetByteCount(url) > 2048 || url.Any(c => c < 0x20 || c is >= '\u007f' and <= '\u009f'))
            return null;
        if (members.FirstOrDefault(m => m.Name == "timestamp").Value is not JsonString { Text: var timestamp } || ParseInstant(timestamp) is not { } instant)
            return null;
        return (url, instant);
    }

    /// <summary>RFC 3339 as the docs state it, 1970 or later.</summary>
    private static DateTimeOffset? ParseInstant(string text)
    {
        var match = Rfc3339Pattern().Match(text);
        if (!match.Success)
            return null;
        int Part(int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        DateTime local;
        try
        {
            local = new DateTime(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), DateTimeKind.Unspecified);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
        var fraction = match.Groups[7].Success ? match.Groups[7].Value[1..] : "";
        var ticks = local.Ticks + (fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(7, '0')[..7], CultureInfo.InvariantCulture));
        var zone = match.Groups[8].Value;
        if (zone is not ("Z" or "z"))
        {
            var (hours, minutes) = (int.Parse(zone[1..3], CultureInfo.InvariantCulture), int.Parse(zone[4..6], CultureInfo.InvariantCulture));
            if (hours > 23 || minutes > 59)
                return null;
            ticks -= (zone[0] == '-' ? -1 : 1) * (hours * TimeSpan.TicksPerHour + minutes * TimeSpan.TicksPerMinute);
        }
        if (ticks < DateTimeOffset.UnixEpoch.Ticks || ticks > DateTime.MaxValue.Ticks)
            return null;
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    [GeneratedRegex(@"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    private static partial Regex Rfc3339Pattern();

    /// <summary>A JSON string's decoded text (null stands for JSON null, other scalars for themselves).</summary>
    private sealed record JsonString(string Text);

    /// <summary>Recursive descent over RFC 8259; objects become member lists, strings <see cref="JsonString"/>.</summary>
    private sealed class Parser(string text)
    {
        private int _at;
        private int _depth;

        public bool TryParseDocument(out object? value)
        {
            SkipWhiteSpace();
            if (!TryValue(out value))
                return false;
            SkipWhiteSpace();
            return _at == text.Length;
        }

        private bool TryValue(out object? value)
        {
            value = null;
            if (_at >= text.Length)
                return false;
            switch (text[_at])
            {
                case '{':
                    return TryContainer('}', out value, member: true);
                case '[':
                    return TryContainer(']', out value, member: false);
                case '"':
                    if (!TryString(out var s))
                        return false;
                    value = new JsonString(s);
                    return true;
                case 't':
                    return TryLiteral("true", out value);
                case 'f':
                    return TryLiteral("false", out value);
                case 'n':
                    return TryLiteral("null", out value);
                default:
                    return TryNumber(out value);
            }
        }

        private bool TryContainer(char close, out object? value, bool member)
        {
            value = null;
            if (++_depth > MaxNesting)
                return false;
            _at++;
            var members = new List<(string Name, object? Value)>();
            SkipWhiteSpace();
            if (_at < text.Length && text[_at] == close)
            {
                _at++;
                _depth--;
                value = members;
                return true;
            }
            while (true)
            {
                SkipWhiteSpace();
                var name = "";
                if (member)
                {
                    if (_at >= text.Length || text[_at] != '"' || !TryString(out name))
                        return false;
                    SkipWhiteSpace();
                    if (_at >= text.Length || text[_at] != ':')
                        return false;
                    _at++;
                    SkipWhiteSpace();
                }
                if (!TryValue(out var item))
                    return false;
                members.Add((name, item));
                SkipWhiteSpace();
                if (_at >= text.Length)
                    return false;
                if (text[_at] == ',')
                {
                    _at++;
                    continue;
                }
                if (text[_at] != close)
                    return false;
                _at++;
                _depth--;
                value = member ? members : (object)members.Select(m => m.Value).ToList();
                return true;
            }
        }

        /// <summary>A string whose escapes decode to well-formed UTF-16 (every surrogate paired).</summary>
        private bool TryString(out string value)
        {
            value = "";
            var builder = new StringBuilder();
            _at++;
            while (_at < text.Length)
            {
                var c = text[_at++];
                if (c == '"')
                {
                    value = builder.ToString();
                    return IsWellFormed(value);
                }
                if (c < 0x20)
                    return false;
                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }
                if (_at >= text.Length)
                    return false;
                var escape = text[_at++];
                switch (escape)
                {
                    case '"' or '\\' or '/':
                        builder.Append(escape);
                        break;
                    case 'b':
                        builder.Append('\b');
                        break;
                    case 'f':
                        builder.Append('\f');
                        break;
                    case 'n':
                        builder.Append('\n');
                        break;
                    case 'r':
                        builder.Append('\r');
                        break;
                    case 't':
                        builder.Append('\t');
                        break;
                    case 'u' when _at + 4 <= text.Length && text.Substring(_at, 4).All(Uri.IsHexDigit):
                        builder.Append((char)int.Parse(text.AsSpan(_at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        _at += 4;
                        break;
                    default:
                        return false;
                }
            }
            return false;
        }

        private static bool IsWellFormed(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    i++;
                else if (char.IsSurrogate(s[i]))
                    return false;
            }
            return true;
        }

        private bool TryLiteral(string literal, out object? value)
        {
            value = literal == "null" ? null : literal;
            if (string.CompareOrdinal(text, _at, literal, 0, literal.Length) != 0)
                return false;
            _at += literal.Length;
            return true;
        }

        private bool TryNumber(out object? value)
        {
            var match = NumberPattern().Match(text, _at);
            value = match.Value;
            if (!match.Success || match.Index != _at)
                return false;
            _at += match.Length;
            return true;
        }

        private void SkipWhiteSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t' or '\n' or '\r')
                _at++;
        }
    }

    [GeneratedRegex(@"\G-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")]
    private static partial Regex NumberPattern();
}
