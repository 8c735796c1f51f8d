using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Embedded;
using System.CommandLine;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using ActorVisits.Views;
using Akka.Actor;
using Confluent.Kafka;
using Spectre.Console;

namespace ActorVisits.Commands;

/// <summary>
/// Everything on one machine: embedded cluster, visit generator, windowed processor, and a live view of the top URLs of
/// every window read back from the output topics.
/// </summary>
internal static class DemoCommand
{
    private const string GroupId = "actorvisits-demo";

    public static Command Create()
    {
        var rate = new Option<int>("--rate") { Description = "Visits per second produced by the generator.", DefaultValueFactory = _ => 500 };
        var duration = Durations.Option("--duration", "Stop after this long (e.g. 30s); default: until Ctrl+C.");
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic.", DefaultValueFactory = _ => 6 };
        var top = new Option<int>("--top") { Description = "URLs shown per window in the live view.", DefaultValueFactory = _ => 10 };

        var command = new Command("demo",
            "Run the embedded broker, the visit generator and the windowed processor, with a live view of the top URLs over the last 30 s, 1 min and 5 min, until Ctrl+C or --duration.")
        {
            rate, duration, partitions, top,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } runFor)
                stopping.CancelAfter(runFor);
            return await RunAsync(parse.GetValue(rate), parse.GetValue(partitions), parse.GetValue(top), stopping.Token);
        });
        return command;
    }

    private static async Task<int> RunAsync(int rate, int partitions, int top, CancellationToken stopping)
    {
        var settings = ProcessorSettings.FromConfig(HostConfig.Reference) with { GroupId = GroupId };
        await using var cluster = EmbeddedKafka.Start(brokers: 3);
        await cluster.EnsureTopicsAsync(Topics.Specs(settings, partitions, replicationFactor: 3), CancellationToken.None);
        Console.WriteLine($"Embedded Kafka at {cluster.BootstrapServers}; producing {rate} visits/s to '{settings.InputTopic}' and counting them. Ctrl+C stops.");

        var kafka = KafkaSettings.FromConfig(HostConfig.Reference) with { BootstrapServers = cluster.BootstrapServers };
        using var system = ActorSystem.Create("actorvisits-demo", HostConfig.Reference);
        var processor = VisitProcessor.Start(system, kafka, settings);
        var counts = new LatestCounts();
        var watcher = OutputWatcher.RunAsync(kafka.Client(), settings.Windows.Windows.Select(w => w.Topic).ToList(), counts, stopping);
        var generator = VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(settings.InputTopic, rate, null, null, 200, null), null, stopping);

        var windows = settings.Windows.Windows.Select(w => w.Name).ToList();
        await LiveView.RunAsync(
            () => new Rows(
                new Columns(windows.Select(w => LiveView.TopTable($"last {w}", counts.Top(w, top)))),
                new Markup(Markup.Escape(processor.Metrics.ToString()))),
            () => string.Join(" | ", windows.Select(w => $"{w}: " + string.Join(", ", counts.Top(w, 3).Select(u => $"{u.Url}={u.Count}")))),
            stopping);

        var produced = await generator;
        await watcher;
        // Let the processor count what the generator got acknowledged before draining, so that the totals agree.
        var catchUpDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (processor.Metrics.Visits + processor.Metrics.Late < produced.Acknowledged && DateTime.UtcNow < catchUpDeadline)
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        var drained = processor.Control.DrainAndShutdownAsync(processor.Completion);
        await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(10)));
        await system.Terminate();
        Console.WriteLine($"Stopped: produced {produced.Acknowledged:N0} visits (acks=all); {processor.Metrics.ToString()}; " +
                          (drained.IsCompletedSuccessfully ? $"offsets committed for group '{GroupId}'." : "the processor did not drain in time."));
        return drained.IsCompletedSuccessfully ? 0 : 1;
    }

}
