using ActorVisits.Entities.Windows;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>The output of a processor run that was interrupted (crash, rebalance, fault) checked against an uninterrupted one.</summary>
public static class FinalCounts
{
    /// <summary>
    /// The last update of every (URL, window) equals the recount, and no update exceeds the true count of its window
    /// (a visit counted twice, replayed and read again live, would). The URLs in <paramref name="except"/> are left out.
    /// </summary>
    public static void AssertEqualRecount(EmbeddedKafkaFixture kafka, ProcessorRun run, InputStream input, Dictionary<string, int> partitionOf, params string[] except) =>
        AssertEqualRecount(kafka, run, input, partitionOf, Pick.LastRecord, except);

    /// <summary>
    /// As above, the count of a (URL, window) being the one a consumer of the window topic keeps by <paramref name="pick"/>:
    /// the last record, or the newest by <see cref="UpdateVersion"/> (the rule of docs/windows.md, Output).
    /// </summary>
    public static void AssertEqualRecount(EmbeddedKafkaFixture kafka, ProcessorRun run, InputStream input, Dictionary<string, int> partitionOf, Pick pick, params string[] except)
    {
        var expected = Reference.Recount(input, partitionOf, run.Settings.Windows);
        var truth = new TrueCounts(input);
        foreach (var window in run.Settings.Windows.Windows)
        {
            var updates = Read(kafka, window.Topic).Where(u => !except.Contains(u.Url)).ToList();
            Assert.All(updates, u => Assert.True(u.Count <= truth.Of(u.Url, u.Version.WindowEnd, window.Seconds),
                $"{u.Url} {window.Name} ending {u.Version.WindowEnd:O}: {u.Count} is more than the visits in that window"));
            var kept = Kept(updates, pick);
            var expectedLast = expected.Where(e => e.Key.Window == window.Name && !except.Contains(e.Key.Url)).ToDictionary(e => e.Key.Url, e => e.Value);
            Assert.True(expectedLast.Count == kept.Count && expectedLast.All(e => kept.TryGetValue(e.Key, out var count) && count == e.Value),
                $"{window.Name}: the counts kept ({pick}) differ from the recount:\n" + Differences(updates, expectedLast, kept));
        }
    }

    /// <summary>For each URL whose kept count is not the recount's: both counts, the last record and the newest by version.</summary>
    private static string Differences(List<Update> updates, Dictionary<string, int> expected, Dictionary<string, int> kept)
    {
        var byUrl = updates.GroupBy(u => u.Url).ToDictionary(g => g.Key, g => g.ToList());
        return string.Join("\n", expected.Keys.Union(kept.Keys).Order(StringComparer.Ordinal)
            .Where(url => expected.GetValueOrDefault(url, -1) != kept.GetValueOrDefault(url, -1))
            .Select(url => $"{url}: recount {expected.GetValueOrDefault(url)}, kept {kept.GetValueOrDefault(url)}" + (byUrl.TryGetValue(url, out var its)
                ? $"; last record {its.MaxBy(u => u.Offset)}; newest version {its.OrderBy(u => u.Version).ThenBy(u => u.Offset).Last()}"
                : "; no update")));
    }

    /// <summary>How a consumer of a window topic picks the count of a (URL, window) among its updates.</summary>
    public enum Pick
    {
        /// <summary>The last record of the URL in the topic (its partition).</summary>
        LastRecord,

        /// <summary>The update with the greatest <see cref="UpdateVersion"/>, whatever its place in the topic.</summary>
        NewestVersion,
    }

    /// <summary>Per URL, the count a consumer keeps by <paramref name="pick"/>.</summary>
    public static Dictionary<string, int> Kept(IEnumerable<Update> updates, Pick pick) =>
        updates.GroupBy(u => u.Url).ToDictionary(g => g.Key, g => pick == Pick.LastRecord
            ? g.MaxBy(u => u.Offset)!.Count
            : g.OrderBy(u => u.Version).ThenBy(u => u.Offset).Last().Count);

    /// <summary>Every update of a window topic, in topic order.</summary>
    public static List<Update> Read(EmbeddedKafkaFixture kafka, string topic) =>
        TestRecords.ReadAll(kafka.Client, topic, TimeSpan.FromSeconds(60)).Select(Parse).OrderBy(u => u.Offset).ToList();

    /// <summary>
    /// Updates produced more than once (the same URL, window, input partition, input offset and window end; at-least-once
    /// after a crash or a move), and all updates, over every window topic of <paramref name="run"/>.
    /// </summary>
    public static (long Duplicates, long All) Duplicates(EmbeddedKafkaFixture kafka, ProcessorRun run)
    {
        long duplicates = 0, all = 0;
        foreach (var window in run.Settings.Windows.Windows)
        {
            var updates = Read(kafka, window.Topic);
            all += updates.Count;
            duplicates += updates.Count - updates.Select(u => (u.Url, u.InputPartition, u.Version.InputOffset, u.Version.WindowEnd)).Distinct().Count();
        }
        return (duplicates, all);
    }

    /// <summary>
    /// Updates produced more than once agree: the same URL, window, input partition, input offset and window end always
    /// carry the same count. Two nodes counting one partition at once from different states (a shard running twice)
    /// would produce different counts for the same key.
    /// </summary>
    public static void AssertDuplicatesAgree(EmbeddedKafkaFixture kafka, ProcessorRun run)
    {
        foreach (var window in run.Settings.Windows.Windows)
        {
            var disagreeing = Read(kafka, window.Topic)
                .GroupBy(u => (u.Url, u.InputPartition, u.Version.InputOffset, u.Version.WindowEnd))
                .Where(g => g.Select(u => u.Count).Distinct().Count() > 1)
                .Select(g => $"{g.Key.Url} p{g.Key.InputPartition}@{g.Key.InputOffset}: {string.Join("/", g.Select(u => $"{u.Count} (generation {u.Version.Generation})"))}")
                .Take(5).ToList();
            Assert.True(disagreeing.Count == 0, $"{window.Name}: updates of the same input record disagree: {string.Join("; ", disagreeing)}");
        }
    }

    /// <summary>One update record of a window topic.</summary>
    public sealed record Update(string Url, int Count, UpdateVersion Version, int InputPartition, long Offset);

    private static Update Parse(ConsumeResult<string, byte[]> record)
    {
        Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out _, out var count, out _));
        Assert.True(WindowUpdateJson.TryParseVersion(record.Message.Value, out var version));
        using var document = System.Text.Json.JsonDocument.Parse(record.Message.Value);
        return new Update(url, count, version, document.RootElement.GetProperty("inputPartition").GetInt32(), record.Offset.Value);
    }
}
