using System.Diagnostics;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>The real `actorvisits process` command in a child process, stopped with SIGTERM as a container runtime would.</summary>
[Collection(KafkaCollection.Name)]
public sealed class GracefulShutdownTests(EmbeddedKafkaFixture kafka) : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"actorvisits-{Guid.NewGuid():N}.conf");

    [Fact]
    public async Task Sigterm_drains_commits_and_exits_0_within_10_seconds()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 3);
        TestRecords.ProduceVisits(kafka.Client, run.Settings.InputTopic, 3000);
        var windows = string.Join("\n", run.Settings.Windows.Windows.Select(w => $"{w.Name} {{ length = {w.Seconds}s, topic = \"{w.Topic}\" }}"));
        await File.WriteAllTextAsync(_config, $$"""
            actorvisits.processor {
              group-id = "{{run.Settings.GroupId}}"
              input-topic = "{{run.Settings.InputTopic}}"
              dead-letter-topic = "{{run.Settings.DeadLetterTopic}}"
              windows { {{windows}} }
            }
            """);

        using var process = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "actorvisits.dll"), "process", "-b", kafka.Cluster.BootstrapServers, "--config", _config },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await Eventually.HoldsAsync(() => !process.HasExited && CaughtUp(run), TimeSpan.FromSeconds(90), "the child processor caught up");
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            var stopped = Stopwatch.StartNew();
            await Eventually.CompletesAsync(process.WaitForExitAsync(), TimeSpan.FromSeconds(10), "exit after SIGTERM");

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode} after {stopped.Elapsed.TotalSeconds:0.0} s: {await stderr}");
            Assert.Contains("Stopped after draining and committing", await stderr);
            Assert.True(CaughtUp(run));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    private bool CaughtUp(ProcessorRun run) =>
        kafka.Cluster.DescribeGroupOffsetsAsync(run.Settings.GroupId, run.Settings.InputTopic, CancellationToken.None).GetAwaiter().GetResult()
            .All(p => p.Committed is not null && p.Lag == 0);

    public void Dispose() => File.Delete(_config);
}
