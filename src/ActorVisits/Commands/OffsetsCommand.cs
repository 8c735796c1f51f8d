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
        var topic = InputTopicOption.Create("Topic whose partitions are shown or reset.");
        var reset = new Option<string?>("--reset")
        {
            Description = "Move the group's committed offsets to " + OffsetTarget.Forms + ". A time or duration moves to the first record at or " +
                          "after it (a time without an offset is UTC; a date alone is its midnight in UTC); an offset outside a partition's log " +
                          "moves to its start or end. Refused while the group has active members (exit code 3).",
        };
        var partitions = new Option<IReadOnlyCollection<int>?>("--partitions", "-p")
        {
            Description = "With --reset: only these partitions, comma-separated (e.g. 0,3); the others keep their offsets. Default: every partition.",
            CustomParser = ParsePartitions,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --reset: print where each partition would move from and to, and change nothing." };

        var command = new Command("offsets", "Show a consumer group's committed offset, end offset and lag per partition, or reset them.")
        {
            groupId, topic, reset, partitions, dryRun,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var group = parse.GetValue(groupId)!;
            var config = kafka.LoadConfig(parse);
            var topicName = InputTopicOption.Resolve(parse, topic, config);
            OffsetTarget? target = null;
            if (parse.GetValue(reset) is { } resetText && !OffsetTarget.TryParse(resetText, out target))
            {
                Console.Error.WriteLine($"--reset '{resetText}' is none of {OffsetTarget.Forms}.");
                return 2;
            }
            var chosen = parse.GetValue(partitions);
            if ((parse.GetValue(dryRun) || chosen is not null) && target is null)
            {
                Console.Error.WriteLine($"{(chosen is not null ? "--partitions" : "--dry-run")} goes with --reset: give --reset too.");
                return 2;
            }
            await using IKafkaAdmin cluster = new KafkaAdmin(kafka.Resolve(parse, config).Client());
            try
            {
                if (target is not null)
                {
                    // What it was, so that a mistaken reset can be undone (--reset with an offset and --partitions).
                    var before = await cluster.DescribeGroupOffsetsAsync(group, topicName, cancellationToken);
                    if (before.All(p => p.Committed is null))
                        Console.Error.WriteLine($"Group '{group}' has no committed offset on '{topicName}': a new group (is -g spelt right?).");
                    if (parse.GetValue(dryRun))
                    {
                        // As Kafka's own tool, a dry run of a group with members is refused like the reset would be.
                        var members = await cluster.ActiveMembersAsync(group, cancellationToken);
                        if (members is > 0 and var count)
                            throw new ActiveMembersException(group, count);
                        var planned = await cluster.ResolveOffsetsAsync(group, topicName, target, chosen, cancellationToken);
                        Console.WriteLine($"Dry run, nothing changed: group '{group}' on '{topicName}' would be reset to {Describe(target)}: {Moves(before, planned)}");
                        if (members is null)
                            Console.Error.WriteLine("Whether the group has members was not checked: these brokers cannot describe a group without joining it (the reset itself checks by joining).");
                        return 0;
                    }
                    var moved = await cluster.ResetGroupOffsetsAsync(group, topicName, target, chosen, cancellationToken);
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

    /// <summary><c>0,3,5</c>: distinct partition numbers, none negative.</summary>
    private static IReadOnlyCollection<int>? ParsePartitions(System.CommandLine.Parsing.ArgumentResult result)
    {
        var chosen = new SortedSet<int>();
        foreach (var token in result.Tokens)
        {
            foreach (var part in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partition))
                {
                    result.AddError($"--partitions: '{part}' is not a partition number (0 or more).");
                    return null;
                }
                chosen.Add(partition);
            }
        }
        if (chosen.Count == 0)
            result.AddError("--partitions: give at least one partition number, e.g. 0,3.");
        return chosen;
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
        OffsetTarget.Ago ago => $"the first record of the last {Durations.Describe(ago.Duration)}",
        OffsetTarget.ToOffset to => $"offset {to.Offset} (within each log)",
        OffsetTarget.ShiftBy shift => $"the committed offset {(shift.Records >= 0 ? "+" : "")}{shift.Records} (within each log)",
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
