using System.CommandLine;
using ActorVisits.Configuration;
using ActorVisits.Dashboard;
using ActorVisits.Entities.Windows;
using ActorVisits.Generation;
using ActorVisits.Hosting;
using ActorVisits.Kafka.Embedded;
using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using ActorVisits.Views;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ActorVisits.Commands;

/// <summary>
/// Everything on one machine: embedded cluster, visit generator, the windowed processor on its host (as `process`
/// runs it, HTTP on loopback), and a live view of the top URLs of every window read back from the output topics.
/// </summary>
internal static class DemoCommand
{
    private const string GroupId = "actorvisits-demo";

    public static Command Create()
    {
        var rate = new Option<int>("--rate") { Description = "Visits per second produced by the generator; 0 produces as fast as the brokers acknowledge.", DefaultValueFactory = _ => 500 }.AtLeast(0);
        var duration = Durations.Option("--duration", "Stop after this long (e.g. 30s); default: until Ctrl+C.");
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic.", DefaultValueFactory = _ => 6 }.AtLeast(1).AtMost(1000);
        var top = new Option<int>("--top") { Description = "URLs shown per window in the live view.", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var httpPort = new Option<int>("--http-port")
        {
            Description = "Loopback HTTP port of the processor (queries, health, metrics); when taken, any free one (printed).",
            DefaultValueFactory = _ => 8080,
        }.Port();

        var command = new Command("demo",
            "Run the embedded broker, the visit generator and the windowed processor, with a live view of the top URLs over the last 30 s, 1 min and 5 min, until Ctrl+C or --duration.")
        {
            rate, duration, partitions, top, httpPort,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } runFor)
                stopping.CancelAfter(runFor);
            return await RunAsync(parse.GetValue(rate), parse.GetValue(partitions), parse.GetValue(top), parse.GetValue(httpPort), stopping.Token);
        });
        return command;
    }

    private static async Task<int> RunAsync(int rate, int partitions, int top, int httpPort, CancellationToken stopping)
    {
        var settings = ProcessorSettings.FromConfig(HostConfig.Reference) with { GroupId = GroupId };
        await using var cluster = EmbeddedKafka.Start(brokers: 3);
        await cluster.EnsureTopicsAsync(Topics.Specs(settings, partitions, replicationFactor: 3), CancellationToken.None);
        var kafka = KafkaSettings.FromConfig(HostConfig.Reference) with { BootstrapServers = cluster.BootstrapServers };
        // The live view owns the terminal: the log says warnings and errors only.
        var options = new ProcessorHostOptions(HostConfig.Reference, kafka, settings,
            ClusterSettings.FromConfig(HostConfig.Reference) with { Enabled = false, HttpPort = httpPort, HttpBind = "127.0.0.1" },
            LogOptions.Default with { Level = LogLevel.Warning }, "demo");
        await using var host = await StartHostAsync(options);
        var service = host.Services.GetRequiredService<ProcessorService>();
        var http = host.Urls.First().TrimEnd('/');
        Console.WriteLine($"Embedded Kafka at {cluster.BootstrapServers}; producing {rate} visits/s to '{settings.InputTopic}' and counting them. Ctrl+C stops.");
        Console.WriteLine($"Dashboard: {http}/   (also {http}/urls/{{url}}, /api/top?window=30s, /healthz/ready, /metrics)");

        // The terminal view shows what the dashboard shows: the latest updates read from the window topics.
        var board = host.Services.GetRequiredService<TrendBoard>();
        var generator = VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray),
            new GeneratorOptions(settings.InputTopic, rate, null, null, 200, null), null, stopping);

        var windows = settings.Windows.Windows;
        await LiveView.RunAsync(
            () => new Rows(
                new Columns(windows.Select(w => LiveView.TopTable($"last {w.Name}", Top(board, w, top), w.Seconds))),
                new Markup(Markup.Escape(service.Processor?.Metrics.ToString() ?? "starting"))),
            () => string.Join(" | ", windows.Select(w => $"{w.Name}: " + string.Join(", ", Top(board, w, 3).Select(u => $"{u.Url}={u.Count}")))),
            stopping);

        var produced = await generator;
        // Let the processor count what the generator got acknowledged before draining, so that the totals agree.
        var catchUpDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (service.Processor is { } processor && processor.Metrics.Visits + processor.Metrics.Late < produced.Acknowledged && DateTime.UtcNow < catchUpDeadline)
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        var exitCode = await ProcessCommand.RunAsync(host, new CancellationToken(canceled: true), started: true);
        Console.WriteLine($"Stopped: produced {produced.Acknowledged:N0} visits (acks=all); {service.Processor?.Metrics.ToString()}; " +
                          (exitCode == 0 ? $"offsets committed for group '{GroupId}'." : "the processor did not drain in time."));
        return exitCode;
    }

    private static IReadOnlyList<(string Url, int Count)> Top(TrendBoard board, WindowSpec window, int n) =>
        board.Top(window, n).Select(r => (r.Url, r.Count)).ToList();

    /// <summary>Starts the host on the wanted loopback port, or on any free one when that is taken.</summary>
    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartHostAsync(ProcessorHostOptions options)
    {
        var host = ProcessorHost.Build(options);
        try
        {
            await host.StartAsync();
            return host;
        }
        catch (IOException)
        {
            await host.DisposeAsync();
            host = ProcessorHost.Build(options with { Cluster = options.Cluster with { HttpPort = 0 } });
            await host.StartAsync();
            return host;
        }
    }
}
