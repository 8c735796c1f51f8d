using System.Text;
using ActorVisits.Entities.Windows;

namespace ActorVisits.Tests.Entities;

public sealed class WindowUpdateJsonTests
{
    private static readonly long Now = new DateTimeOffset(2019, 3, 2, 9, 21, 5, TimeSpan.Zero).ToUnixTimeSeconds();

    [Fact]
    public void An_update_is_written_exactly_as_the_output_topics_document_it()
    {
        var thirty = WindowSet.Default[0];

        var json = Encoding.UTF8.GetString(WindowUpdateJson.Serialize(new WindowUpdate("/store/tech/tv", thirty, 42, Now, InputOffset: 1234), inputPartition: 2, generation: 7));

        Assert.Equal("""{"url":"/store/tech/tv","window":"30s","windowSeconds":30,"count":42,"perSecond":1.4,"windowStart":"2019-03-02T09:20:36Z","windowEnd":"2019-03-02T09:21:06Z","generation":7,"inputPartition":2,"inputOffset":1234}""", json);
        Assert.True(WindowUpdateJson.TryParseVersion(Encoding.UTF8.GetBytes(json), out var version));
        Assert.Equal(new UpdateVersion(7, 1234, DateTimeOffset.FromUnixTimeSeconds(Now + 1)), version);
    }

    [Fact]
    public void A_url_is_written_as_it_is_so_the_value_reads_as_the_key_but_quotes_and_control_characters_are_escaped()
    {
        var json = Encoding.UTF8.GetString(WindowUpdateJson.Serialize(new WindowUpdate("/search?q=a+b&c=é<x>'\"\t", WindowSet.Default[0], 1, Now)));

        Assert.StartsWith("""{"url":"/search?q=a+b&c=é<x>'\"\t","window":"30s",""", json);
    }

    [Fact]
    public void A_record_with_a_null_or_unrepresentable_window_end_is_no_update_rather_than_a_failure()
    {
        foreach (var end in new[] { "null", "\"9999-12-31T23:59:59-01:00\"", "\"soon\"", "17" })
        {
            var json = Encoding.UTF8.GetBytes($$"""{"url":"/tv","window":"30s","count":1,"windowEnd":{{end}}}""");
            Assert.False(WindowUpdateJson.TryParse(json, out _, out _, out _, out _), end);
            Assert.False(WindowUpdateJson.TryParseVersion(json, out _), end);
        }
    }

    [Fact]
    public void A_later_generation_wins_then_a_later_offset_then_a_later_window_end()
    {
        var end = DateTimeOffset.FromUnixTimeSeconds(Now);
        var held = new UpdateVersion(3, 500, end);

        Assert.True(new UpdateVersion(4, 10, end.AddSeconds(-100)).IsNewerThan(held));       // a new owner, from its committed offset
        Assert.False(new UpdateVersion(2, 900, end.AddSeconds(100)).IsNewerThan(held));      // a zombie's late update
        Assert.True(new UpdateVersion(3, 501, end).IsNewerThan(held));
        Assert.True(new UpdateVersion(3, 500, end.AddSeconds(1)).IsNewerThan(held));         // the wall clock moved the windows
        Assert.False(held.IsNewerThan(held));                                                // a copy changes nothing
    }

    [Fact]
    public void Consecutive_updates_do_not_share_bytes_and_read_back()
    {
        var first = WindowUpdateJson.Serialize(new WindowUpdate("/a", WindowSet.Default[2], 7, Now));
        var second = WindowUpdateJson.Serialize(new WindowUpdate("/b/\"quoted\"", WindowSet.Default[1], 0, Now + 1));

        Assert.True(WindowUpdateJson.TryParse(first, out var url, out var window, out var count, out var end));
        Assert.Equal(("/a", "5mn", 7, DateTimeOffset.FromUnixTimeSeconds(Now + 1)), (url, window, count, end));
        Assert.True(WindowUpdateJson.TryParse(second, out url, out window, out count, out end));
        Assert.Equal(("/b/\"quoted\"", "1mn", 0, DateTimeOffset.FromUnixTimeSeconds(Now + 2)), (url, window, count, end));
    }
}
