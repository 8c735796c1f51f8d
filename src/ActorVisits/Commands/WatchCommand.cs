using System.CommandLine;
using ActorVisits.Processing;
using ActorVisits.Views;

namespace ActorVisits.Commands;

/// <summary>A live table of the latest count per URL read from an output topic.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var topic = new Option<string?>("--topic", "-t") { Description = "Output topic to watch. Default: the topic of the configuration's 1mn window (visits_1mn), else of its first window, from --config when given." };
        var top = new Option<int>("--top") { Description = "URLs shown, most visited first.", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var command = new Command("watch", "Show a live table of the latest visit count per URL in an output topic (visits_30s, visits_1mn, visits_5mn), until Ctrl+C.")
        {
            topic, top,
        };
        kafka.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var client = kafka.Resolve(parse, config).Client();
            var windows = ProcessorSettings.FromConfig(config).Windows.Windows;
            var topicName = parse.GetValue(topic) ?? (windows.FirstOrDefault(w => w.Name == "1mn") ?? windows[0]).Topic;
            var count = parse.GetValue(top);
            var counts = new LatestCounts();
            using var viewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watcher = OutputWatcher.RunAsync(client, [topicName], counts.Apply, cancellationToken);
            // A reader that fails (a topic that does not exist, refused credentials) ends the view at once, with its error.
            _ = watcher.ContinueWith(_ => viewing.Cancel(), TaskScheduler.Default);
            // Every record of an output topic names its window; read it from the records rather than from the topic's name.
            string Window() => counts.Windows.FirstOrDefault() ?? "";
            await LiveView.RunAsync(
                () => LiveView.TopTable($"{topicName}: latest count per URL ({counts.Updates:N0} updates read)", counts.Top(Window(), count),
                    windows.FirstOrDefault(w => w.Name == Window())?.Seconds),
                () => $"{topicName}: " + string.Join(", ", counts.Top(Window(), Math.Min(count, 5)).Select(u => $"{u.Url}={u.Count}")),
                viewing.Token);
            await watcher;
            return 0;
        });
        return command;
    }
}
