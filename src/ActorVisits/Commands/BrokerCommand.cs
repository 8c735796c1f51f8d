using System.CommandLine;
using System.Net.Sockets;
using ActorVisits.Configuration;
using ActorVisits.Kafka.Embedded;
using ActorVisits.Processing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Commands;

/// <summary>
/// The embedded Kafka cluster, serving any client until stopped; faults can be injected from a plan given at start
/// (<c>--faults</c>) or sent while it runs (<c>actorvisits faults</c>, through its loopback control port).
/// </summary>
internal static class BrokerCommand
{
    public const int DefaultControlPort = 9192;

    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Brokers in the embedded cluster (replication factor is min(3, brokers)).", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each ActorVisits topic.", DefaultValueFactory = _ => 6 };
        var port = new Option<int>("--port") { Description = "Loopback bootstrap port; if taken, the brokers' own random ports are printed instead.", DefaultValueFactory = _ => 9092 }.Port();
        var config = new Option<string?>("--config") { Description = "HOCON file over the reference configuration; the topics it names (input, windows, dead letters, late visits) are created." };
        var faults = new Option<string?>("--faults")
        {
            Description = "Faults to inject, as a plan: steps 'at <time>: <fault> [for <duration>]' separated by ';' or new lines, or @file. " +
                          "Faults: down B | failover B | rtt B <time> | errors <Request> ERROR[*n][,...] | leader <topic> <partition|*> <broker|next> | coordinator <group> B. " +
                          "Example: \"at 10s: failover 2 for 10s; at 30s: errors Fetch REQUEST_TIMED_OUT*5\". docs/reliability.md lists them.",
        };
        var advertiseHost = new Option<string?>("--advertise-host")
        {
            Description = "An address of this machine (e.g. a bridge to network namespaces or containers) where every broker is also reached, " +
                          "through a forwarder, and which the brokers advertise; the bootstrap port binds it too. Default: loopback only.",
        };
        var controlPort = new Option<int>("--control-port")
        {
            Description = "Loopback HTTP port taking fault plans while the broker runs (actorvisits faults); 0: none.",
            DefaultValueFactory = _ => DefaultControlPort,
        }.Port();

        var command = new Command("broker",
            "Run an embedded Kafka-protocol cluster (librdkafka's in-memory mock) with the ActorVisits topics, until Ctrl+C. " +
            "Any Kafka client can use it. It keeps about 5 MB per partition and nothing survives the process. Faults can be injected.")
        {
            brokers, partitions, port, config, faults, controlPort, advertiseHost,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var brokerCount = parse.GetValue(brokers);
            var partitionCount = parse.GetValue(partitions);
            if (brokerCount is < 1 or > 32 || partitionCount is < 1 or > 1000)
            {
                Console.Error.WriteLine("--brokers must be 1..32 and --partitions 1..1000.");
                return 2;
            }
            FaultPlan? plan;
            try
            {
                plan = parse.GetValue(faults) is { } text ? FaultPlan.Parse(ReadPlan(text)) : null;
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                Console.Error.WriteLine($"--faults: {e.Message}");
                return 2;
            }
            var settings = ProcessorSettings.FromConfig(HostConfig.Load(parse.GetValue(config)));
            if (parse.GetValue(advertiseHost) is { } host && !System.Net.IPAddress.TryParse(host, out _))
            {
                Console.Error.WriteLine($"--advertise-host must be an IP address of this machine (got '{host}').");
                return 2;
            }
            await using var cluster = StartOnPortOrRandom(brokerCount, parse.GetValue(port), parse.GetValue(advertiseHost));
            await cluster.EnsureTopicsAsync(Topics.Specs(settings, partitionCount, Math.Min(3, brokerCount)), cancellationToken);
            Console.WriteLine($"Embedded Kafka: {brokerCount} broker(s), topics {string.Join(", ", Topics.Of(settings))} with {partitionCount} partitions each.");
            Console.WriteLine($"bootstrap.servers={cluster.BootstrapServers}");
            await using var control = await StartControlAsync(cluster, parse.GetValue(controlPort), cancellationToken);
            var running = new List<Task>();
            if (plan is not null)
            {
                if (plan.CannotRunOn(cluster) is { } reason)
                {
                    Console.Error.WriteLine(reason);
                    return 2;
                }
                Console.WriteLine($"Fault plan: {plan}.");
                running.Add(plan.RunReportingAsync(cluster, Console.WriteLine, cancellationToken));
            }
            Console.WriteLine("Serving until Ctrl+C or SIGTERM.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            await Task.WhenAll(running);
            Console.WriteLine("Embedded Kafka stopped; its topics and offsets are gone.");
            return 0;
        });
        return command;
    }

    /// <summary>The plan's text, or the content of the file after '@'.</summary>
    public static string ReadPlan(string text) => text.StartsWith('@') ? File.ReadAllText(text[1..]) : text;

    /// <summary>
    /// <c>POST /faults</c> with a plan in the body runs it against <paramref name="cluster"/>, answering the steps it
    /// parsed (400 with the reason when it does not parse). Loopback only.
    /// </summary>
    private static async Task<WebApplication?> StartControlAsync(EmbeddedKafka cluster, int port, CancellationToken stopping)
    {
        if (port == 0)
            return null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/faults", async (HttpRequest request) =>
        {
            // A browser sends its page's origin with a cross-site POST: any web page open on this machine could
            // otherwise take the brokers down. The faults command sends none.
            if (request.Headers.Origin.Count > 0)
                return Results.Json(new { error = "fault plans are not taken from web pages (the request has an Origin)" }, statusCode: StatusCodes.Status403Forbidden);
            using var reader = new StreamReader(request.Body);
            FaultPlan plan;
            try
            {
                plan = FaultPlan.Parse(await reader.ReadToEndAsync(stopping));
            }
            catch (FormatException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
            if (plan.CannotRunOn(cluster) is { } reason)
                return Results.BadRequest(new { error = reason });
            Console.WriteLine($"Fault plan received: {plan}.");
            _ = plan.RunReportingAsync(cluster, Console.WriteLine, stopping);
            return Results.Accepted(value: new { steps = plan.Steps.Select(s => s.ToString()), lastsSeconds = plan.Length.TotalSeconds });
        });
        try
        {
            await app.StartAsync(stopping);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            Console.Error.WriteLine($"Control port {port} is not available ({e.Message}); 'actorvisits faults' cannot reach this broker (--control-port picks another).");
            return null;
        }
        Console.WriteLine($"Fault control: actorvisits faults --broker http://127.0.0.1:{port} \"at 0s: down 2 for 10s\"");
        return app;
    }

    private static EmbeddedKafka StartOnPortOrRandom(int brokers, int port, string? advertiseHost)
    {
        try
        {
            return EmbeddedKafka.Start(brokers, port, advertiseHost);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Console.Error.WriteLine($"Port {port} is not available ({e.SocketErrorCode}); clients must use the brokers' own addresses below.");
            return EmbeddedKafka.Start(brokers, port: null, advertiseHost);
        }
        catch (SocketException e)
        {
            // An address this machine does not have (--advertise-host), or one it may not bind: no other port would do.
            throw new IOException($"Cannot listen on {advertiseHost ?? "loopback"}:{port} ({e.SocketErrorCode}): --advertise-host must be an address of this machine.", e);
        }
    }
}
