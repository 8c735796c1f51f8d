using System.Collections.Concurrent;
using System.CommandLine;
using ActorVisits.Configuration;
using ActorVisits.Generation;
using ActorVisits.Kafka.Cluster;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Settings;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Spectre.Console;

namespace ActorVisits.Commands;

/// <summary>
/// Everything on one machine: embedded cluster, generator, and a committable consumer stream whose live view shows what
/// reaches <c>visits</c>, per partition and per URL.
/// </summary>
internal static class DemoCommand
{
    private const string GroupId = "actorvisits-demo";

    public static Command Create()
    {
        var rate = new Option<int>("--rate") { Description = "Visits per second produced by the generator.", DefaultValueFactory = _ => 500 };
        var duration = Durations.Option("--duration", "Stop after this long (e.g. 30s); default: until Ctrl+C.");
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic.", DefaultValueFactory = _ => 6 };
        var top = new Option<int>("--top") { Description = "URLs shown in the live view.", DefaultValueFactory = _ => 10 };

        var command = new Command("demo", "Run the embedded broker, the visit generator and a live view of the 'visits' stream, until Ctrl+C or --duration.")
        {
            rate, duration, partitions, top,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } runFor)
                stopping.CancelAfter(runFor);
            await RunAsync(parse.GetValue(rate), parse.GetValue(partitions), parse.GetValue(top), stopping.Token);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(int rate, int partitions, int top, CancellationToken stopping)
    {
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        await cluster.EnsureTopicsAsync(Topics.Specs(partitions, replicationFactor: 3), CancellationToken.None);
        Console.WriteLine($"Embedded Kafka at {cluster.BootstrapServers}; producing {rate} visits/s to '{Topics.Visits}'. Ctrl+C stops.");

        var kafka = KafkaSettings.FromConfig(HostConfig.Reference) with { BootstrapServers = cluster.BootstrapServers };
        var view = new StreamView();
        using var system = ActorSystem.Create("actorvisits-demo", HostConfig.Reference);
        var consumerSettings = kafka.Consumer(GroupId, Deserializers.Utf8, Deserializers.ByteArray);
        var (control, committed) = KafkaConsumer.CommittableSource(consumerSettings, Topics.Visits)
            .Select(message =>
            {
                view.Add(message.Record.Partition.Value, message.Record.Message.Key);
                return message.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(kafka.Committer), Keep.Both)
            .Run(system.Materializer());

        using var generatorStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var generator = VisitGenerator.RunAsync(kafka.Producer(Serializers.Utf8, Serializers.ByteArray), new GeneratorOptions(Topics.Visits, rate, null, null, 200, null), null, generatorStop.Token);

        await ShowAsync(view, top, stopping);

        var produced = await generator;
        // Let the consumer catch up with what the generator got acknowledged before draining, so the totals agree.
        var catchUpDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (view.Total < produced.Acknowledged && DateTime.UtcNow < catchUpDeadline)
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        await control.DrainAndShutdownAsync(committed);
        Console.WriteLine($"Stopped: produced {produced.Acknowledged:N0} visits (acks=all), consumed {view.Total:N0}, offsets committed for group '{GroupId}'.");
        await system.Terminate();
    }

    private static async Task ShowAsync(StreamView view, int top, CancellationToken stopping)
    {
        if (Console.IsOutputRedirected)
        {
            while (await Tick(stopping))
                Console.WriteLine(view.Line(top));
            return;
        }
        await AnsiConsole.Live(view.Render(top)).StartAsync(async context =>
        {
            while (await Tick(stopping))
                context.UpdateTarget(view.Render(top));
        });
    }

    private static async Task<bool> Tick(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class StreamView
    {
        private readonly ConcurrentDictionary<string, long> _perUrl = new();
        private readonly ConcurrentDictionary<int, long> _perPartition = new();
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void Add(int partition, string url)
        {
            _perUrl.AddOrUpdate(url, 1, (_, n) => n + 1);
            _perPartition.AddOrUpdate(partition, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _total);
        }

        private IEnumerable<KeyValuePair<string, long>> Top(int count) => _perUrl.OrderByDescending(p => p.Value).Take(count);

        public string Line(int top) =>
            $"consumed {Total:N0} | " + string.Join(", ", Top(Math.Min(top, 5)).Select(p => $"{p.Key}={p.Value}"));

        public Table Render(int top)
        {
            var table = new Table().Title($"visits read since start: {Total:N0}")
                .AddColumn("URL").AddColumn(new TableColumn("visits").RightAligned());
            foreach (var (url, count) in Top(top))
                table.AddRow(Markup.Escape(url), count.ToString("N0"));
            table.Caption("per partition: " + string.Join("  ", _perPartition.OrderBy(p => p.Key).Select(p => $"p{p.Key}={p.Value:N0}")));
            return table;
        }
    }
}
