using ActorVisits.Kafka.Embedded;
using System.CommandLine;
using System.Net.Sockets;
using ActorVisits.Configuration;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;

namespace ActorVisits.Commands;

internal static class BrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Brokers in the embedded cluster (replication factor is min(3, brokers)).", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each ActorVisits topic.", DefaultValueFactory = _ => 6 };
        var port = new Option<int>("--port") { Description = "Loopback bootstrap port; if taken, the brokers' own random ports are printed instead.", DefaultValueFactory = _ => 9092 };
        var config = new Option<string?>("--config") { Description = "HOCON file over the reference configuration; the topics it names (input, windows, dead letters, late visits) are created." };

        var command = new Command("broker",
            "Run an embedded Kafka-protocol cluster (librdkafka's in-memory mock) with the ActorVisits topics, until Ctrl+C. " +
            "Any Kafka client can use it. It keeps about 5 MB per partition and nothing survives the process.")
        {
            brokers, partitions, port, config,
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
            var settings = ProcessorSettings.FromConfig(HostConfig.Load(parse.GetValue(config)));
            await using var cluster = StartOnPortOrRandom(brokerCount, parse.GetValue(port));
            await cluster.EnsureTopicsAsync(Topics.Specs(settings, partitionCount, Math.Min(3, brokerCount)), cancellationToken);
            Console.WriteLine($"Embedded Kafka: {brokerCount} broker(s), topics {string.Join(", ", Topics.Of(settings))} with {partitionCount} partitions each.");
            Console.WriteLine($"bootstrap.servers={cluster.BootstrapServers}");
            Console.WriteLine("Serving until Ctrl+C or SIGTERM.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine("Embedded Kafka stopped; its topics and offsets are gone.");
            return 0;
        });
        return command;
    }

    private static EmbeddedKafka StartOnPortOrRandom(int brokers, int port)
    {
        try
        {
            return EmbeddedKafka.Start(brokers, port);
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"Port {port} is not available ({e.SocketErrorCode}); clients must use the brokers' own addresses below.");
            return EmbeddedKafka.Start(brokers, port: null);
        }
    }
}
