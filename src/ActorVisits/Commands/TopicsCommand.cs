using System.CommandLine;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;

namespace ActorVisits.Commands;

internal static class TopicsCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic created.", DefaultValueFactory = _ => 6 }.AtLeast(1);
        var replication = new Option<int>("--replication-factor") { Description = "Replicas of each topic created; with 3 or more, min.insync.replicas=2 is set so acks=all survives a broker loss.", DefaultValueFactory = _ => 3 }.AtLeast(1).AtMost(short.MaxValue);

        var command = new Command("topics",
            "Create the topics the processor's configuration names (input, each window's output, dead letters, late visits) that do not exist yet on a Kafka cluster.")
        {
            partitions, replication,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var client = kafka.Resolve(parse, config).Client();
            var settings = ProcessorSettings.FromConfig(config);
            await using IKafkaAdmin cluster = new KafkaAdmin(client);
            try
            {
                await cluster.EnsureTopicsAsync(Topics.Specs(settings, parse.GetValue(partitions), parse.GetValue(replication)), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            Console.WriteLine($"Topics present on {client.BootstrapServers}: {string.Join(", ", Topics.Of(settings))}.");
            return 0;
        });
        return command;
    }
}
