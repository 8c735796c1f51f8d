using System.Text;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// A record whose handling throws inside the processor (injected: every visit of one URL throws in its URL actor, as a
/// bug would), under each <c>on-record-error</c> policy of the real `actorvisits process`.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class RecordErrorPolicyTests(EmbeddedKafkaFixture kafka)
{
    private const int Partitions = 3;

    [Fact]
    public async Task Dead_letter_sends_each_failing_record_to_the_dead_letter_topic_with_internal_error_and_processing_goes_on()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 71, count: 3_000, urls: 20);
        var partitionOf = input.Produce(kafka.Client, run.Settings.InputTopic);
        var broken = input.Valid[0].Visit.Url;

        using (var child = ChildProcessor.Start(run, [], FailVisitsOf(broken)))
        {
            await Eventually.HoldsAsync(() => child.Running && run.Lag() == 0, TimeSpan.FromSeconds(90), () => $"the processor caught up (lag {run.Lag()})");
            child.Signal("TERM");
            await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
            Assert.Equal(0, child.ExitCode);
            Assert.Matches(@"internal errors [1-9]", await child.StandardError);
        }

        // Every counted visit of the broken URL failed; a late one was late before its URL actor was asked.
        var failing = input.Valid.Where(v => v.Visit.Url == broken && !input.Late.Contains(v.Index)).Select(v => v.Index).ToList();
        var deadLetters = TestRecords.ReadAllRaw(kafka.Client, run.Settings.DeadLetterTopic, TimeSpan.FromSeconds(60));
        var internalErrors = deadLetters.Where(d => Reason(d).StartsWith("internal-error: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(failing.Order(), internalErrors.Select(input.IndexAt).Order());
        Assert.All(internalErrors, d => Assert.Equal("internal-error: System.InvalidOperationException: injected fault: visits of " +
                                                     $"'{broken}' fail (actorvisits.processor.fault-injection)", Reason(d)));
        Assert.Equal(input.Bad.Select(b => b.Index).Order(), deadLetters.Except(internalErrors).Select(input.IndexAt).Order());
        // The other URLs' counts are untouched (the broken URL's visits still moved their partition's clock).
        FinalCounts.AssertEqualRecount(kafka, run, input, partitionOf, except: broken);
        Assert.True(failing.Count > 20);
    }

    [Fact]
    public async Task Stop_ends_the_process_with_exit_code_1_and_commits_nothing_from_the_failing_record_on()
    {
        var run = await ProcessorRun.CreateAsync(kafka, Partitions);
        var input = InputStream.Generate(seed: 72, count: 3_000, urls: 20);
        input.Produce(kafka.Client, run.Settings.InputTopic);
        var broken = input.Valid[^1].Visit.Url;
        var failing = input.Valid.Where(v => v.Visit.Url == broken && !input.Late.Contains(v.Index)).Select(v => input.OffsetOf(v.Index)).ToList();
        var first = failing[0];

        using var child = ChildProcessor.Start(run, [], FailVisitsOf(broken) + "\nactorvisits.processor.on-record-error = stop");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(60), "the processor stopped on a failing record");

        Assert.Equal(1, child.ExitCode);
        // The stream stops on whichever failing record's batch completes first: one of the broken URL's visits.
        var output = await child.StandardError;
        Assert.Contains(failing, f => output.Contains($"Handling the record at {f.Topic}[{f.Partition.Value}]@{f.Offset.Value} threw " +
                                                      "System.InvalidOperationException: injected fault", StringComparison.Ordinal));
        var committed = (await kafka.Broker.DescribeGroupOffsetsAsync(run.Settings.GroupId, run.Settings.InputTopic, CancellationToken.None))
            .Single(p => p.Partition == first.Partition.Value).Committed ?? 0;
        Assert.InRange(committed, 0, first.Offset.Value);
    }

    private static string FailVisitsOf(string url) => $"actorvisits.processor.fault-injection.fail-visits-of-url = \"{url}\"";

    private static string Reason(ConsumeResult<byte[], byte[]> deadLetter) => Encoding.UTF8.GetString(deadLetter.Message.Headers.GetLastBytes("actorvisits.error"));
}
