using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorVisits.Views;

/// <summary>Refreshes a view every second until stopped: in place on a terminal, as plain lines when output is piped.</summary>
public static class LiveView
{
    public static async Task RunAsync(Func<IRenderable> render, Func<string> line, CancellationToken stopping)
    {
        if (Console.IsOutputRedirected)
        {
            while (await NextSecondAsync(stopping))
                Console.WriteLine(line());
            return;
        }
        await AnsiConsole.Live(render()).StartAsync(async context =>
        {
            while (await NextSecondAsync(stopping))
                context.UpdateTarget(render());
        });
    }

    /// <summary>A table of the top URLs of one window of <paramref name="seconds"/>: visits and their average rate (when the length is known).</summary>
    public static Table TopTable(string title, IReadOnlyList<(string Url, int Count)> top, int? seconds) =>
        top.Aggregate(new Table().Title(Markup.Escape(title)).AddColumn("URL").AddColumn(new TableColumn("visits").RightAligned())
                .AddColumn(new TableColumn("visits/s").RightAligned()),
            (table, row) => table.AddRow(Markup.Escape(row.Url), row.Count.ToString("N0"), seconds is { } length ? ((double)row.Count / length).ToString("N2") : "-"));

    private static async Task<bool> NextSecondAsync(CancellationToken stopping)
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
}
