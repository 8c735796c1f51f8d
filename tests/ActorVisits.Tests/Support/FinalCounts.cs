using ActorVisits.Entities.Windows;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>The output of a processor run that was interrupted (crash, rebalance) checked against an uninterrupted one.</summary>
public static class FinalCounts
{
    /// <summary>
    /// The last update of every (URL, window) equals the recount, and no update exceeds the true count of its window
    /// (a visit counted twice, replayed and read again live, would). The URLs in <paramref name="except"/> are left out.
    /// </summary>
    public static void AssertEqualRecount(EmbeddedKafkaFixture kafka, ProcessorRun run, InputStream input, Dictionary<string, int> partitionOf, params string[] except)
    {
        var expected = Reference.Recount(input, partitionOf, run.Settings.Windows);
        var truth = new TrueCounts(input);
        foreach (var window in run.Settings.Windows.Windows)
        {
            var updates = TestRecords.ReadAll(kafka.Client, window.Topic, TimeSpan.FromSeconds(60)).Select(Parse).Where(u => !except.Contains(u.Url)).ToList();
            Assert.All(updates, u => Assert.True(u.Count <= truth.Of(u.Url, u.WindowEnd, window.Seconds),
                $"{u.Url} {window.Name} ending {u.WindowEnd:O}: {u.Count} is more than the visits in that window"));
            var last = updates.GroupBy(u => u.Url).ToDictionary(g => g.Key, g => g.MaxBy(u => u.Offset).Count);
            var expectedLast = expected.Where(e => e.Key.Window == window.Name && !except.Contains(e.Key.Url)).ToDictionary(e => e.Key.Url, e => e.Value);
            Assert.Equal(expectedLast.OrderBy(e => e.Key, StringComparer.Ordinal), last.OrderBy(e => e.Key, StringComparer.Ordinal));
        }
    }

    private static (string Url, int Count, DateTimeOffset WindowEnd, long Offset) Parse(ConsumeResult<string, byte[]> record)
    {
        Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out _, out var count, out var windowEnd));
        return (url, count, windowEnd, record.Offset.Value);
    }
}
