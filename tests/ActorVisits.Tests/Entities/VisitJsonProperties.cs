using System.Text;
using ActorVisits.Entities;
using ActorVisits.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Entities;

/// <summary>
/// The visit parser against <see cref="VisitReference"/>, an independent statement of the rules: it never throws, and
/// accepts a value exactly when the reference does, reading the same URL and instant. The counting read (URL and time
/// only, URLs through a small <see cref="UrlStrings"/> that keeps starting afresh) judges every value as the full read
/// does, to the rejection's words. 10,000 cases per property.
/// </summary>
[Properties(MaxTest = 10_000, Arbitrary = [typeof(Seeds)])]
public sealed class VisitJsonProperties
{
    [Property]
    public void Arbitrary_bytes_never_throw_and_are_judged_as_the_reference_judges_them(byte[] value) => AgreesWithReference(value);

    [Property]
    public void Random_visit_documents_are_judged_as_the_reference_judges_them(Seed seed) =>
        AgreesWithReference(HostileVisits.Document(new Random(seed.Value)));

    [Property]
    public void Damaged_visit_documents_are_judged_as_the_reference_judges_them(Seed seed)
    {
        var random = new Random(seed.Value);
        AgreesWithReference(HostileVisits.Mutate(HostileVisits.Document(random), random));
    }

    [Fact]
    public void The_generated_documents_hold_valid_and_invalid_visits_of_every_kind()
    {
        var random = new Random(1);
        var codes = new HashSet<string>();
        var valid = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var value = random.Next(2) == 0 ? HostileVisits.Document(random) : HostileVisits.Mutate(HostileVisits.Document(random), random);
            if (VisitJson.TryRead(value, out _, out var rejection))
                valid++;
            else
                codes.Add(rejection.Code);
        }
        Assert.InRange(valid, 2_000, 18_000);
        Assert.Equal(
            [Rejection.InvalidUtf8, Rejection.NotJson, Rejection.NotAnObject, Rejection.TooDeep, Rejection.InvalidUnicode, Rejection.DuplicateField, Rejection.BadUrl, Rejection.BadTimestamp],
            codes.Order(StringComparer.Ordinal).ToList().Intersect(Rejection.Codes).OrderBy(c => Rejection.Codes.ToList().IndexOf(c)));
    }

    // Small, so that it fills and starts afresh many times; the properties of a class run one at a time.
    private static readonly UrlStrings Urls = new(capacity: 64);

    private static void AgreesWithReference(byte[] value)
    {
        var parsed = VisitJson.TryRead(value, out var visit, out var rejection);
        foreach (var urls in new[] { null, Urls })
        {
            var counted = VisitJson.TryReadUrlAndTime(value, urls, out var url, out var timestamp, out var countedRejection);
            Assert.True(counted == parsed, $"{Show(value)}: the full read says {(parsed ? "valid" : rejection.ToString())}, the counting read {(counted ? "valid" : countedRejection.ToString())}");
            Assert.Equal(rejection, countedRejection);
            if (counted)
            {
                Assert.Equal(visit!.Url, url);
                Assert.Equal(visit.Timestamp, timestamp);
            }
        }
        var expected = VisitReference.Read(value);
        Assert.True(parsed == expected.HasValue,
            $"{Show(value)}: the parser says {(parsed ? "valid" : rejection.ToString())}, the reference {(expected.HasValue ? "valid" : "invalid")}");
        if (parsed)
        {
            Assert.Equal(expected!.Value.Url, visit!.Url);
            Assert.Equal(expected.Value.Timestamp, visit.Timestamp);
        }
        else
        {
            Assert.Contains(rejection.Code, Rejection.Codes);
        }
    }

    /// <summary>The value as printable text, bytes outside ASCII in hex, for a failure message.</summary>
    private static string Show(byte[] value)
    {
        var text = new StringBuilder();
        foreach (var b in value.Take(400))
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.ToString();
    }
}

/// <summary>A seed for a deterministic generator; FsCheck's own integers stay small, these span every int.</summary>
public readonly record struct Seed(int Value);

public static class Seeds
{
    public static Arbitrary<Seed> Seed() => Arb.From(Gen.Choose(0, int.MaxValue).Select(value => new Seed(value)));
}
