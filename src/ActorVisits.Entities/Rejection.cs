namespace ActorVisits.Entities;

/// <summary>
/// Why a record is not a countable visit: a stable <paramref name="Code"/> (what metrics count and operators alert on)
/// and a <paramref name="Detail"/> for the person reading the dead letter. Written as <c>code: detail</c>.
/// </summary>
public readonly record struct Rejection(string Code, string Detail)
{
    public const string NoValue = "no-value";
    public const string TooLarge = "too-large";
    public const string InvalidUtf8 = "invalid-utf8";
    public const string NotJson = "not-json";
    public const string NotAnObject = "not-an-object";
    public const string TooDeep = "too-deep";
    public const string InvalidUnicode = "invalid-unicode";
    public const string DuplicateField = "duplicate-field";
    public const string BadUrl = "bad-url";
    public const string BadTimestamp = "bad-timestamp";
    public const string FutureTimestamp = "future-timestamp";
    public const string InternalError = "internal-error";

    /// <summary>Every code, in the order docs/bad-input.md lists them.</summary>
    public static IReadOnlyList<string> Codes { get; } =
        [NoValue, TooLarge, InvalidUtf8, NotJson, NotAnObject, TooDeep, InvalidUnicode, DuplicateField, BadUrl, BadTimestamp, FutureTimestamp, InternalError];

    public override string ToString() => $"{Code}: {Detail}";
}
