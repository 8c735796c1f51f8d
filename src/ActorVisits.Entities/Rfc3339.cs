namespace ActorVisits.Entities;

/// <summary>
/// A strict reader of RFC 3339 date-times (the profile of ISO 8601 that states its zone):
/// <c>YYYY-MM-DDTHH:MM:SS[.fraction]Z</c> or with an offset <c>±HH:MM</c>; <c>T</c> and <c>Z</c> may be lower case,
/// the fraction has 1 to 9 digits (kept to 100 ns). Leap seconds (<c>:60</c>) are refused, as .NET cannot hold them.
/// Reads ASCII bytes without allocating and never throws.
/// </summary>
public static class Rfc3339
{
    /// <summary>The longest text this accepts: 19 + 10 (dot and nine digits) + 6 (offset).</summary>
    public const int MaxLength = 35;

    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset instant)
    {
        instant = default;
        if (text.Length is < 20 or > MaxLength)
            return false;
        if (!Digits(text, 0, 4, out var year) || text[4] != '-' || !Digits(text, 5, 2, out var month) || text[7] != '-'
            || !Digits(text, 8, 2, out var day) || (text[10] | 0x20) != 't' || !Digits(text, 11, 2, out var hour) || text[13] != ':'
            || !Digits(text, 14, 2, out var minute) || text[16] != ':' || !Digits(text, 17, 2, out var second))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        var at = 19;
        long fractionTicks = 0;
        if (text[at] == '.')
        {
            var digits = 0;
            at++;
            while (at < text.Length && IsDigit(text[at]))
            {
                // Ticks are 100 ns: the first seven digits count, the others are dropped.
                if (digits < 7)
                    fractionTicks = fractionTicks * 10 + (text[at] - '0');
                digits++;
                at++;
            }
            if (digits is 0 or > 9)
                return false;
            for (var scale = digits; scale < 7; scale++)
                fractionTicks *= 10;
        }
        long offsetTicks;
        var zone = text[at..];
        if (zone.Length == 1 && (zone[0] | 0x20) == 'z')
            offsetTicks = 0;
        else if (zone.Length == 6 && zone[0] is (byte)'+' or (byte)'-' && Digits(zone, 1, 2, out var offsetHours) && zone[3] == ':'
                 && Digits(zone, 4, 2, out var offsetMinutes) && offsetHours <= 23 && offsetMinutes <= 59)
            offsetTicks = (zone[0] == '-' ? -1 : 1) * (offsetHours * TimeSpan.TicksPerHour + offsetMinutes * TimeSpan.TicksPerMinute);
        else
            return false;
        var local = new DateTime(year, month, day, hour, minute, second).Ticks + fractionTicks;
        var utc = local - offsetTicks;
        if (utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks)
            return false;
        instant = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!IsDigit(text[i]))
                return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
