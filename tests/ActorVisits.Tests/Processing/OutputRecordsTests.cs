using ActorVisits.Processing;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

public sealed class OutputRecordsTests
{
    private const int Limit = 10_000;

    [Fact]
    public void A_copy_that_fits_keeps_its_key_value_and_headers()
    {
        var (key, value, headers, cut) = OutputRecords.Fit([1, 2], new byte[5_000], new Headers { { "h", [3] } }, addedBytes: 200, Limit);

        Assert.Null(cut);
        Assert.Equal([1, 2], key);
        Assert.Equal(5_000, value!.Length);
        Assert.Single(headers);
    }

    [Fact]
    public void The_value_is_cut_first_to_what_the_limit_leaves()
    {
        var (key, value, headers, cut) = OutputRecords.Fit(new byte[100], new byte[50_000], new Headers { { "h", new byte[99] } }, addedBytes: 200, Limit);

        Assert.Equal("value", cut);
        Assert.Equal(100, key!.Length);
        Assert.Single(headers);
        Assert.Equal(Limit - 512 - 200 - 100 - (10 + 1 + 99), value!.Length);
    }

    [Fact]
    public void Then_the_original_headers_are_dropped_and_last_the_key_is_cut()
    {
        var bigHeaders = new Headers { { "h", new byte[20_000] } };

        var (key, value, headers, cut) = OutputRecords.Fit(new byte[100], new byte[10], bigHeaders, addedBytes: 200, Limit);
        Assert.Equal(("value,headers", 100, 0), (cut, key!.Length, value!.Length));
        Assert.Empty(headers);

        (key, _, _, cut) = OutputRecords.Fit(new byte[50_000], null, bigHeaders, addedBytes: 200, Limit);
        Assert.Equal(("value,headers,key", Limit - 512 - 200), (cut, key!.Length));
    }
}
