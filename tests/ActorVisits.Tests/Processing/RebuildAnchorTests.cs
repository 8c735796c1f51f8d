using ActorVisits.Configuration;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// Where a rebuild's replay starts: one longest window (plus the margin) before the last record it resumes after, by
/// record timestamp. A backfill's records are stamped with their visits' times, years ago; one stamped far in the future
/// just before the restart must not make the replay start at itself (the windows would come back empty).
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class RebuildAnchorTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit(HostConfig.Reference)
{
    [Fact]
    public async Task A_backfill_whose_last_record_before_a_restart_is_stamped_in_the_future_is_rebuilt_from_its_plausible_records()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 1);
        var input = InputStream.Generate(seed: 92, count: 3_000, urls: 25);
        const int restartAt = 2_000;
        for (var i = 0; i < input.Records.Count; i++)
        {
            var record = input.Records[i];
            // Stamped as a backfill is (the generator's way): each record with its visit's time; the one just before the
            // restart in year 10000, as any producer may stamp a record.
            var stamp = i == restartAt - 1 ? InputStream.OddRecordTimestamps[1] : InputStream.Start.AddMilliseconds(i * 60.0).ToUnixTimeMilliseconds();
            input.Records[i] = record with { TimestampMs = stamp };
        }
        var released = new TaskCompletionSource();
        var producing = Task.Run(() => input.Produce(kafka.Client, run.Settings.InputTopic, holdAt: (restartAt, released.Task)));

        var first = run.Start(Sys);
        await Eventually.HoldsAsync(() => run.Committed() >= restartAt, TimeSpan.FromSeconds(60), () => $"the first {restartAt} records committed (got {run.Committed()})");
        await run.StopAsync(first);
        Assert.Equal(restartAt, run.Committed());

        var second = run.Start(Sys);
        released.SetResult();
        var partitionOf = await producing;
        await run.CaughtUpAsync(second, TimeSpan.FromSeconds(90));
        await run.StopAsync(second);

        // Replayed: the records of the 5-minute window before the restart, all but the far-future one's predecessors.
        Assert.True(second.Metrics.Replayed >= restartAt - 1, $"replayed {second.Metrics.Replayed} records before resuming at {restartAt}");
        FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);
    }
}
