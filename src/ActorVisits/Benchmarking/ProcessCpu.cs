using System.Diagnostics;

namespace ActorVisits.Benchmarking;

/// <summary>
/// CPU time used by the whole process: every thread, the embedded brokers' and librdkafka's native ones and the GC's
/// included, so a step's figure per visit compares the processor with the plain clients doing the same work.
/// </summary>
internal static class ProcessCpu
{
    public static TimeSpan Used
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return process.TotalProcessorTime;
        }
    }
}
