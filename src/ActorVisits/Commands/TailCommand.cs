using ActorVisits.Kafka.Stages;
using System.CommandLine;
using ActorVisits.Kafka.Dsl;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Commands;

/// <summary>Reads a topic as a member of a consumer group, printing each record and committing after it is printed.</summary>
internal static class TailCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var topic = InputTopicOption.Create("Topic to read.");
        var groupId = new Option<string>("--group-id", "-g") { Description = "Consumer group; its committed offsets are where reading resumes.", DefaultValueFactory = _ => "actorvisits-tail" };
        var count = new Option<long?>("--count", "-n") { Description = "Stop after this many records (then drain and commit). Default: until Ctrl+C." }.AtLeast(1);
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the summary, not each record." };
        var commitBatch = new Option<int?>("--commit-batch") { Description = "Commit after this many records (1 commits after every record). Default: actorvisits.kafka.committer.max-batch (1000)." }.AtLeast(1);

        var command = new Command("tail", "Read a topic in a consumer group (auto-commit off), print records as 'partition offset key value', commit after printing.")
        {
            topic, groupId, count, quiet, commitBatch,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var kafkaSettings = kafka.Resolve(parse, config);
            var settings = kafkaSettings.Consumer(parse.GetValue(groupId)!, Deserializers.Utf8, Deserializers.Utf8);
            var limit = parse.GetValue(count);
            var print = !parse.GetValue(quiet);
            using var system = ActorSystem.Create("actorvisits-tail", config);
            long read = 0;
            var materializer = system.Materializer();
            // Pre-materialized so that the element that reaches --count can stop the source it came from.
            var (control, source) = KafkaConsumer.CommittableSource(settings, InputTopicOption.Resolve(parse, topic, config)).PreMaterialize(materializer);
            var committed = source
                .Where(message =>
                {
                    if (limit is { } max && read >= max)
                        return false; // Already stopping: not printed, not committed, read again next time.
                    read++;
                    if (print)
                        Console.WriteLine($"{message.Record.Partition.Value}\t{message.Record.Offset.Value}\t{message.Record.Message.Key}\t{message.Record.Message.Value}");
                    if (read == limit)
                        control.Stop();
                    return true;
                })
                .Select(message => message.CommittableOffset)
                .RunWith(Committer.Sink(kafkaSettings.Committer with { MaxBatch = parse.GetValue(commitBatch) ?? kafkaSettings.Committer.MaxBatch }), materializer);

            await using (cancellationToken.Register(control.Stop))
            {
                try
                {
                    await committed;
                }
                catch (Exception e) when (StreamFailure(e))
                {
                    Console.Error.WriteLine($"Stopped on error: {e.Message}");
                    return 1;
                }
                finally
                {
                    try
                    {
                        await control.ShutdownAsync();
                    }
                    catch (Exception e) when (StreamFailure(e))
                    {
                        // The stream's own failure, said above once.
                    }
                }
            }
            Console.Error.WriteLine($"Read and committed {read:N0} record(s) for group '{settings.GroupId}'.");
            await system.Terminate();
            return 0;
        });
        return command;
    }

    /// <summary>How the stream fails for want of brokers, topics or rights: said in one line, not a stack trace.</summary>
    private static bool StreamFailure(Exception e) => e is KafkaException or KafkaConsumeFailedException or InvalidOperationException;
}
