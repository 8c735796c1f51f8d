using System.CommandLine;
using ActorVisits.Kafka.Admin;
using Confluent.Kafka;
using Spectre.Console;

namespace ActorVisits.Commands;

internal static class OffsetsCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var groupId = new Option<string>("--group-id", "-g") { Description = "Consumer group to inspect or reset.", Required = true };
        var topic = new Option<string?>("--topic", "-t") { Description = "Topic whose partitions are shown or reset. Default: actorvisits.processor.input-topic (visits), from --config when given." };
        var reset = new Option<string?>("--reset")
        {
            Description = "Move the group's committed offsets: 'earliest' (replay everything), 'latest' (skip to the end) or an " +
                          "ISO-8601 time such as 2019-03-02T09:21:05Z (UTC when it has no offset; a date alone is its midnight in UTC): the first record at or after it. Refused while the group has active members.",
        };

        var dryRun = new Option<bool>("--dry-run") { Description = "With --reset: print where each partition would move from and to, and change nothing." };

        var command = new Command("offsets", "Show a consumer group's committed offset, end offset and lag per partition, or reset them.")
        {
            groupId, topic, reset, dryRun,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var group = parse.GetValue(groupId)!;
            var config = kafka.LoadConfig(parse);
            var topicName = parse.GetValue(topic) ?? Processing.ProcessorSettings.FromConfig(config).InputTopic;
            OffsetTarget? target = null;
            if (parse.GetValue(reset) is { } resetText && !OffsetTarget.TryParse(resetText, out target))
            {
                Console.Error.WriteLine($"--reset '{resetText}' is not 'earliest', 'latest' or an ISO-8601 time such as 2019-03-02T09:21:05Z.");
                return 2;
            }
            if (parse.GetValue(dryRun) && target is null)
            {
                Console.Error.WriteLine("--dry-run shows what --reset would do: give --reset too.");
                return 2;
            }
            await using IKafkaAdmin cluster = new KafkaAdmin(kafka.Resolve(parse, config).Client());
            try
            {
                if (target is not null)
                {
                    // What it was, so that a mistaken reset can be undone by hand (--reset takes a time, or commit these).
                    var before = await cluster.DescribeGroupOffsetsAsync(group, topicName, cancellationToken);
                    if (before.All(p => p.Committed is null))
                        Console.Error.WriteLine($"Group '{group}' has no committed offset on '{topicName}': a new group (is -g spelt right?).");
                    if (parse.GetValue(dryRun))
                    {
                        var planned = await cluster.ResolveOffsetsAsync(topicName, target, cancellationToken);
                        Console.WriteLine($"Dry run, nothing changed: group '{group}' on '{topicName}' would be reset to {Describe(target)}: {Moves(before, planned)}");
                        return 0;
                    }
                    var moved = await cluster.ResetGroupOffsetsAsync(group, topicName, target, cancellationToken);
                    Console.WriteLine($"Group '{group}' on '{topicName}' reset to {Describe(target)}: {Moves(before, moved)}");
                }
                Render(group, topicName, await cluster.DescribeGroupOffsetsAsync(group, topicName, cancellationToken));
                return 0;
            }
            catch (ActiveMembersException e)
            {
                Console.Error.WriteLine(e.Message);
                return 3;
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException or TimeoutException)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Each partition's committed offset before and after: <c>p0 1234→0</c> (<c>-</c>: none committed).</summary>
    private static string Moves(IReadOnlyList<PartitionLag> before, IReadOnlyList<TopicPartitionOffset> after)
    {
        var was = before.ToDictionary(p => p.Partition, p => p.Committed);
        return string.Join(", ", after.Select(o => $"p{o.Partition.Value} {(was.GetValueOrDefault(o.Partition.Value) is { } from ? from.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}→{o.Offset.Value}"));
    }

    private static string Describe(OffsetTarget target) => target switch
    {
        OffsetTarget.AtTime at => at.Time.ToString("O"),
        _ => target.GetType().Name.ToLowerInvariant(),
    };

    private static void Render(string group, string topic, IReadOnlyList<PartitionLag> partitions)
    {
        var table = new Table().Title($"group [bold]{Markup.Escape(group)}[/] on [bold]{Markup.Escape(topic)}[/]")
            .AddColumn("partition").AddColumn(new TableColumn("committed").RightAligned()).AddColumn(new TableColumn("log start").RightAligned())
            .AddColumn(new TableColumn("end").RightAligned()).AddColumn(new TableColumn("lag").RightAligned());
        foreach (var p in partitions)
            table.AddRow(p.Partition.ToString(), p.Committed?.ToString() ?? "-", p.LogStart.ToString(), p.End.ToString(), p.Lag.ToString());
        table.AddRow("[bold]total[/]", "", "", partitions.Sum(p => p.End).ToString(), $"[bold]{partitions.Sum(p => p.Lag)}[/]");
        AnsiConsole.Write(table);
    }
}
