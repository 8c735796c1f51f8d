using System.Text;
using ActorVisits.Entities;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// The real `actorvisits process` on input where 5 % of the records are hostile (every class of bad bytes, keys and
/// headers, spread over all partitions between valid visits; valid visits on records stamped past year 9999 or in
/// 1970): it never stops, every bad record is in the dead-letter topic with its reason, every late visit in the late
/// topic, and every valid visit is counted.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class HostileInputTests(EmbeddedKafkaFixture kafka)
{
    private const int Partitions = 4;

    [Fact]
    public async Task Hostile_records_never_stop_the_processor_each_is_dead_lettered_with_its_reason_late_visits_are_kept_and_every_valid_visit_counts()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 61, count: 6_000, urls: 40, hostileShare: 0.05);
        var partitionOf = input.Produce(kafka.Client, run.Settings.InputTopic);
        Assert.Equal(HostileVisits.Classes.Order(), input.HostileClass.Values.Distinct().Order());
        Assert.Equal(Partitions, input.HostileClass.Keys.Select(i => input.OffsetOf(i).Partition.Value).Distinct().Count());
        // Visits 90 s ahead of their record's own timestamp (an hour ago) are future visits, though past by the wall clock.
        Assert.Contains(input.Records, r => r.BadCode == Rejection.FutureTimestamp && r.TimestampMs is not null);
        // Valid visits on records stamped past year 9999 or in 1970 (the brokers keep any 64-bit timestamp) count like the others.
        Assert.Equal(InputStream.OddRecordTimestamps.Order(), input.Records.Where(r => r.Visit is not null && r.TimestampMs is not null).Select(r => r.TimestampMs!.Value).Distinct().Order());

        using (var child = ChildProcessor.Start(run, []))
        {
            await Eventually.HoldsAsync(() => child.Running && run.Lag() == 0, TimeSpan.FromSeconds(90), () => $"the processor caught up (lag {run.Lag()})");
            child.Signal("TERM");
            await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
            Assert.True(child.ExitCode == 0, await child.DiagnosticsAsync());
        }

        FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf);

        var deadLetters = TestRecords.ReadAllRaw(kafka.Client, run.Settings.DeadLetterTopic, TimeSpan.FromSeconds(60));
        var reasons = deadLetters.ToDictionary(input.IndexAt, d => Encoding.UTF8.GetString(d.Message.Headers.GetLastBytes("actorvisits.error")));
        Assert.Equal(input.Bad.Select(b => b.Index).Order(), reasons.Keys.Order());
        Assert.All(input.Bad, bad => Assert.True(reasons[bad.Index].StartsWith(bad.Code + ": ", StringComparison.Ordinal),
            $"record {bad.Index} ({input.HostileClass.GetValueOrDefault(bad.Index, "malformed")}): reason '{reasons[bad.Index]}', expected code {bad.Code}"));

        // The record near the brokers' limit: its copy is cut to fit, and says how large the original was.
        var nearLimit = input.HostileClass.Single(h => h.Value == "near the brokers' limit").Key;
        var cut = deadLetters.Single(d => input.IndexAt(d) == nearLimit);
        Assert.Equal("value", Header(cut, "actorvisits.truncated"));
        Assert.Equal($"{HostileVisits.NearLimitBytes}", Header(cut, "actorvisits.original.value.bytes"));
        Assert.True(cut.Message.Value.Length < HostileVisits.NearLimitBytes);
        Assert.Equal(input.Records[nearLimit].Value.AsSpan(0, cut.Message.Value.Length).ToArray(), cut.Message.Value);
        // A tombstone stays a tombstone, with its key; every other copy keeps the original bytes.
        Assert.All(deadLetters.Where(d => input.IndexAt(d) != nearLimit), d =>
        {
            var original = input.Records[input.IndexAt(d)];
            Assert.Equal(original.Value, d.Message.Value);
            Assert.Equal(original.Key, d.Message.Key);
        });

        var late = TestRecords.ReadAllRaw(kafka.Client, run.Settings.LateTopic!, TimeSpan.FromSeconds(60));
        Assert.Equal(input.Late.Order(), late.Select(input.IndexAt).Order());
        Assert.All(late, copy =>
        {
            Assert.Equal(input.Records[input.IndexAt(copy)].Value, copy.Message.Value);
            Assert.True(long.Parse(Header(copy, "actorvisits.late.lateness-ms")) >= 300_000);
            Assert.True(DateTimeOffset.Parse(Header(copy, "actorvisits.late.stream-time")) > InputStream.Start);
        });
        Assert.True(input.Late.Count > 0);
    }

    private static string Header(ConsumeResult<byte[], byte[]> record, string name) => Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));
}
