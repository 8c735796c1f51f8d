using System.Diagnostics;

namespace ActorVisits.Tests.Support;

/// <summary>The real `actorvisits process` command in a child process, configured for one <see cref="ProcessorRun"/>.</summary>
public sealed class ChildProcessor : IDisposable
{
    private readonly Process _process;
    private readonly string _config;

    private readonly Task<string> _output;
    private readonly System.Text.StringBuilder _errorSoFar = new();
    private bool _disposed;

    private ChildProcessor(Process process, string config)
    {
        _process = process;
        _config = config;
        StandardError = ReadErrorAsync(process.StandardError);
        // Akka's own warnings, which explain a cluster node that does not progress.
        _output = process.StandardOutput.ReadToEndAsync();
    }

    /// <summary>Standard error, line by line as it comes (<see cref="ErrorSoFar"/>), whole once the child has exited.</summary>
    private async Task<string> ReadErrorAsync(StreamReader error)
    {
        while (await error.ReadLineAsync() is { } line)
        {
            lock (_errorSoFar)
                _errorSoFar.AppendLine(line);
        }
        lock (_errorSoFar)
            return _errorSoFar.ToString();
    }

    /// <summary>What the child has written to standard error so far.</summary>
    public string ErrorSoFar
    {
        get
        {
            lock (_errorSoFar)
                return _errorSoFar.ToString();
        }
    }

    /// <summary>Standard error then standard output, once the process has exited (it is killed when still running).</summary>
    public async Task<string> DiagnosticsAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        return $"{await StandardError}\n{await _output}";
    }

    /// <summary>A member killed without leaving stays in the group until its session times out; the next one waits for that.</summary>
    public static readonly string[] QuickSessions = ["-X", "session.timeout.ms=2000", "-X", "heartbeat.interval.ms=300"];

    public Task<string> StandardError { get; }

    /// <summary>True once the child has exited, or once it was disposed (its process object is gone with it).</summary>
    public bool HasExited
    {
        get
        {
            try
            {
                return _disposed || _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                // Disposed by its owner (a supervising lab node) while another thread looked.
                return true;
            }
        }
    }

    /// <summary>For a condition that needs the child running: throws at once, with what it printed, once it has exited.</summary>
    public bool Running
    {
        get
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The child processor exited with code {_process.ExitCode}:\n{StandardError.GetAwaiter().GetResult()}");
            return true;
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// A cluster node on loopback that notices a killed node within seconds: the split brain resolver downs an
    /// unreachable node after 3 s of stable membership, instead of 7 s. Heartbeats may pause 8 s: with 2 s, a node
    /// busy starting up (JIT, rebuilding its partitions) on a loaded 2-core host was once seen unreachable by one
    /// member and not by another, and the resolver downed both of those (the indirectly connected rule); with 5 s, a
    /// restarted node and one draining to stop were once seen so by each other, while other tests loaded the host.
    /// </summary>
    public static ChildProcessor StartClusterNode(ProcessorRun run, int port, int seedPort, int httpPort, string extraConfig = "") =>
        Start(run, [.. QuickSessions, "--cluster", "--hostname", "127.0.0.1", "--port", $"{port}", "--seed", $"127.0.0.1:{seedPort}", "--http-port", $"{httpPort}"],
            $"""
            akka.cluster.split-brain-resolver.stable-after = 3s
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 8s
            {extraConfig}
            """);

    /// <summary>
    /// Starts the processor on <paramref name="run"/>'s topics and group; <paramref name="arguments"/> are added to the
    /// command line (without <c>--http-port</c>, the child has no query endpoint), <paramref name="extraConfig"/> to its HOCON.
    /// </summary>
    public static ChildProcessor Start(ProcessorRun run, string[] arguments, string extraConfig = "")
    {
        var config = WriteConfig(ConfigOf(run, extraConfig));
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Program, "process", "-b", run.Kafka.Broker.BootstrapServers, "--config", config },
        };
        if (!arguments.Contains("--http-port"))
            arguments = [.. arguments, "--http-port", "0"];
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return Launch(start, config);
    }

    /// <summary>The actorvisits program, built next to the tests.</summary>
    public static string Program => Path.Combine(AppContext.BaseDirectory, "actorvisits.dll");

    /// <summary>HOCON naming <paramref name="run"/>'s group and topics, then <paramref name="extraConfig"/>.</summary>
    public static string ConfigOf(ProcessorRun run, string extraConfig = "")
    {
        var windows = string.Join("\n", run.Settings.Windows.Windows.Select(w => $"{w.Name} {{ length = {w.Seconds}s, topic = \"{w.Topic}\" }}"));
        return $$"""
            actorvisits.processor {
              group-id = "{{run.Settings.GroupId}}"
              input-topic = "{{run.Settings.InputTopic}}"
              dead-letter-topic = "{{run.Settings.DeadLetterTopic}}"
              late-topic = "{{run.Settings.LateTopic ?? "off"}}"
              windows { {{windows}} }
            }
            {{extraConfig}}
            """;
    }

    /// <summary>A temporary file holding <paramref name="hocon"/>, removed with the child that reads it.</summary>
    public static string WriteConfig(string hocon)
    {
        var config = Path.Combine(Path.GetTempPath(), $"actorvisits-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, hocon);
        return config;
    }

    /// <summary>
    /// Starts <paramref name="start"/> (the program, possibly through a launcher such as <c>ip netns exec</c>) with its
    /// output captured and without the caller's ACTORVISITS_* variables: the child is configured by the test alone.
    /// <paramref name="config"/> is deleted with the child.
    /// </summary>
    public static ChildProcessor Launch(ProcessStartInfo start, string config, IReadOnlyDictionary<string, string>? environment = null)
    {
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ACTORVISITS_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        return new ChildProcessor(Process.Start(start)!, config);
    }

    public void Signal(string signal) => Process.Start("kill", [$"-{signal}", _process.Id.ToString()])!.WaitForExit();

    /// <summary>The child's peak resident memory so far (VmHWM), in bytes; 0 once it has exited.</summary>
    public long PeakResidentBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Gone, or disposed by its owner meanwhile.
            return 0;
        }
    }

    public Task WaitForExitAsync() => _process.WaitForExitAsync();

    /// <summary>Kills the child (and what it started) if it still runs, keeping its output readable.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    /// <summary>Kills the child if it still runs; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        File.Delete(_config);
    }
}
