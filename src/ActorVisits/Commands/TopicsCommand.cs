using System.CommandLine;
using ActorVisits.Kafka.Cluster;

namespace ActorVisits.Commands;

internal static class TopicsCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic created.", DefaultValueFactory = _ => 6 };
        var replication = new Option<int>("--replication-factor") { Description = "Replicas of each topic created; with 3 or more, min.insync.replicas=2 is set so acks=all survives a broker loss.", DefaultValueFactory = _ => 3 };

        var command = new Command("topics", $"Create the ActorVisits topics ({string.Join(", ", Topics.All)}) that do not exist yet on a Kafka cluster.")
        {
            partitions, replication,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var client = kafka.Resolve(parse).Client();
            await using IKafkaCluster cluster = new KafkaCluster(client);
            try
            {
                await cluster.EnsureTopicsAsync(Topics.Specs(parse.GetValue(partitions), parse.GetValue(replication)), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            Console.WriteLine($"Topics present on {client.BootstrapServers}: {string.Join(", ", Topics.All)}.");
            return 0;
        });
        return command;
    }
}
