using ActorVisits.Generation;

namespace ActorVisits.Commands;

/// <summary>Progress lines: rewritten in place on a terminal, one line per report when output is piped.</summary>
internal static class ConsoleProgress
{
    public static void Report(GeneratorProgress progress)
    {
        var line = $"sent {progress.Sent:N0}  acknowledged {progress.Acknowledged:N0}  failed {progress.Failed:N0}  " +
                   $"{progress.AcknowledgedPerSecond:N0} visits/s  {progress.Elapsed:hh\\:mm\\:ss}";
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
