using System.Diagnostics;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Processing;

/// <summary>The real `actorvisits process` command in a child process, stopped with SIGTERM as a container runtime would.</summary>
[Collection(KafkaCollection.Name)]
public sealed class GracefulShutdownTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Sigterm_drains_commits_and_exits_0_within_a_containers_grace_period()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 3);
        TestRecords.ProduceVisits(kafka.Client, run.Settings.InputTopic, 3000);

        using var child = ChildProcessor.Start(run, []);
        await Eventually.HoldsAsync(() => !child.HasExited && run.Lag() == 0, TimeSpan.FromSeconds(90), "the child processor caught up");
        child.Signal("TERM");
        var stopped = Stopwatch.StartNew();
        // A container runtime kills the process 30 s after SIGTERM (compose's and Kubernetes' default grace period).
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");

        Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode} after {stopped.Elapsed.TotalSeconds:0.0} s: {await child.StandardError}");
        Assert.Contains("Stopped after draining and committing", await child.StandardError);
        Assert.Equal(0, run.Lag());
    }
}
