using System.CommandLine;
using ActorVisits.Generation;
using Confluent.Kafka;

namespace ActorVisits.Commands;

internal static class GenerateCommand
{
    public const int MaxUrls = 1_000_000;

    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var topic = InputTopicOption.Create("Topic to produce visits to.");
        var rate = new Option<int>("--rate") { Description = "Visits per second; 0 produces as fast as the brokers acknowledge.", DefaultValueFactory = _ => 500 }.AtLeast(0);
        var count = new Option<long?>("--count", "-n") { Description = "Stop after this many visits." }.AtLeast(1);
        var duration = Durations.Option("--duration", "Stop after this long (e.g. 60s, 5m). Without --count or --duration: until Ctrl+C.");
        // Every page's URL is made up front: the bound keeps that to tens of megabytes.
        var urls = new Option<int>("--urls") { Description = "Catalogue pages to visit, Zipf-popular (/store/tech/tv first); at most 1,000,000.", DefaultValueFactory = _ => 200 }.AtLeast(1).AtMost(MaxUrls);
        var seed = new Option<int?>("--seed") { Description = "Random seed, for a reproducible sequence of visits (timestamps are always now; visit ids repeat too, so two runs with one seed produce the same ids)." };

        var command = new Command("generate", "Produce realistic MediaSeller visits, keyed by URL, with acks=all and idempotence.")
        {
            topic, rate, count, duration, urls, seed,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var topicName = InputTopicOption.Resolve(parse, topic, config);
            var options = new GeneratorOptions(topicName, parse.GetValue(rate), parse.GetValue(count),
                parse.GetValue(duration), parse.GetValue(urls), parse.GetValue(seed));
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            var settings = kafka.Resolve(parse, config);
            Console.WriteLine($"Producing visits to '{options.Topic}' on {settings.BootstrapServers} " +
                              $"({(options.Rate > 0 ? $"{options.Rate}/s" : "unthrottled")}, acks=all, idempotent, keyed by URL).");
            var summary = await VisitGenerator.RunAsync(settings.Producer(Serializers.Utf8, Serializers.ByteArray), options, ConsoleProgress.Report, cancellationToken);
            ConsoleProgress.EndLine();
            var notAcknowledged = summary.Sent - summary.Acknowledged - summary.Failed;
            Console.WriteLine($"Done: sent {summary.Sent:N0}, acknowledged {summary.Acknowledged:N0}, failed {summary.Failed:N0}" +
                              (notAcknowledged > 0 ? $", unconfirmed {notAcknowledged:N0}" : "") +
                              $", {summary.AcknowledgedPerSecond:N0} visits/s over {summary.Elapsed.TotalSeconds:N1} s.");
            if (summary.StoppedBy is { } stoppedBy)
                Console.Error.WriteLine(stoppedBy);
            return summary.Acknowledged == summary.Sent && summary.StoppedBy is null ? 0 : 1;
        });
        return command;
    }
}
