using ActorVisits.Generation;

namespace ActorVisits.Commands;

/// <summary>Progress lines: rewritten in place on a terminal, one line per report when output is piped.</summary>
internal static class ConsoleProgress
{
    private static GeneratorProgress? _last;

    /// <summary>The rate shown is the acknowledgements since the previous report: a stall shows as 0/s, not as a slowly falling average.</summary>
    public static void Report(GeneratorProgress progress)
    {
        var last = _last;
        _last = progress;
        var seconds = (progress.Elapsed - (last?.Elapsed ?? TimeSpan.Zero)).TotalSeconds;
        var rate = seconds > 0 ? (progress.Acknowledged - (last?.Acknowledged ?? 0)) / seconds : 0;
        var line = $"sent {progress.Sent:N0}  acknowledged {progress.Acknowledged:N0}  failed {progress.Failed:N0}  " +
                   $"{rate:N0} visits/s  {(int)progress.Elapsed.TotalHours:00}:{progress.Elapsed:mm\\:ss}";
        if (Console.IsOutputRedirected)
            Console.WriteLine(line);
        else
            Console.Write($"\r{line}   ");
    }

    public static void EndLine()
    {
        if (!Console.IsOutputRedirected)
            Console.WriteLine();
    }
}
