using ActorVisits.Benchmarking;
using ActorVisits.Commands;

namespace ActorVisits.Tests.Commands;

public sealed class RateSearchTests
{
    [Theory]
    [InlineData(60_000, 80_000, 70_000)]
    [InlineData(80_000, 100_000, 90_000)]
    [InlineData(10_000, 15_000, 13_000)] // 12,500 rounds half up
    [InlineData(40_000, 41_000, null)] // nothing strictly between at a resolution of 1,000
    [InlineData(40_000, 41_500, 41_000)]
    public void Halfway_lies_strictly_between_on_the_thousand(int sustained, int failed, int? expected) =>
        Assert.Equal(expected, RateSearch.Halfway(sustained, failed));

    [Fact]
    public void No_refining_step_without_both_ends()
    {
        Assert.Null(RateSearch.Halfway(null, 10_000)); // the first rate already failed
        Assert.Null(RateSearch.Halfway(140_000, null)); // every rate sustained
        Assert.Null(RateSearch.Halfway(null, null));
    }

    [Theory]
    [InlineData("--rates 10000 5000", "5000 after 10000")]
    [InlineData("--rates 10000 10000", "10000 after 10000")]
    [InlineData("--rates 0 10000", "0 is not a positive rate")]
    [InlineData("--parts plain nonsense", "unknown part 'nonsense'")]
    public void Bench_names_the_option_it_refuses(string args, string error)
    {
        var parsed = BenchCommand.Create().Parse(args);

        Assert.Contains(parsed.Errors, e => e.Message.Contains(error, StringComparison.Ordinal));
    }

    [Fact]
    public void Bench_accepts_increasing_rates() =>
        Assert.Empty(BenchCommand.Create().Parse("--rates 10000 40000 --parts processor").Errors);
}
