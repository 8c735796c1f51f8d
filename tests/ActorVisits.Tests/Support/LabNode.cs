namespace ActorVisits.Tests.Support;

/// <summary>
/// One processor node of a <see cref="NetworkLab"/>, run as compose runs a container of platform/docker/compose.yaml:
/// <c>actorvisits process --config hocon/cluster-node.conf</c> in the node's own namespace, with the same environment
/// (the brokers as "kafka", the node's host name advertised, remoting bound to every interface), and restarted
/// whenever it exits until the test stops it (compose's <c>restart: unless-stopped</c>).
/// </summary>
public sealed class LabNode : IAsyncDisposable
{
    /// <summary>Docker waits about this long before its first restart of a container that exited.</summary>
    private static readonly TimeSpan RestartDelay = TimeSpan.FromMilliseconds(500);

    private readonly NetworkLab _lab;
    private readonly string _hocon;
    private readonly Dictionary<string, string> _environment;
    private readonly Action<ChildProcessor>? _track;
    private readonly CancellationTokenSource _stopped = new();
    private readonly List<Exit> _exits = [];
    private readonly Task _supervising;
    private readonly object _gate = new();
    private volatile ChildProcessor _current;

    private LabNode(NetworkLab lab, int number, string hocon, Dictionary<string, string> environment, Action<ChildProcessor>? track)
    {
        _lab = lab;
        Number = number;
        _hocon = hocon;
        _environment = environment;
        _track = track;
        _current = Launch();
        _supervising = SuperviseAsync();
    }

    public int Number { get; }

    /// <summary>The node's query, health and metrics endpoint, from this machine.</summary>
    public string Http => $"http://{_lab.NodeAddress(Number)}:8080";

    /// <summary>The running incarnation (or the one that just exited, until its restart).</summary>
    public ChildProcessor Current => _current;

    /// <summary>The incarnations that exited so far, with their exit codes and what they wrote.</summary>
    public IReadOnlyList<Exit> Exits
    {
        get
        {
            lock (_exits)
                return _exits.ToList();
        }
    }

    /// <summary>
    /// Starts node <paramref name="number"/> of <paramref name="lab"/> with hocon/cluster-node.conf followed by
    /// <paramref name="extraConfig"/> (the test's topics and group), the brokers at kafka:<paramref name="brokerPort"/>.
    /// </summary>
    public static LabNode Start(NetworkLab lab, int number, int brokerPort, string extraConfig, Action<ChildProcessor>? track = null)
    {
        var clusterNode = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "lab", "cluster-node.conf"));
        var environment = new Dictionary<string, string>
        {
            ["ACTORVISITS_BOOTSTRAP_SERVERS"] = $"kafka:{brokerPort}",
            ["ACTORVISITS_CLUSTER_HOSTNAME"] = $"actorvisits-{number}",
            ["ACTORVISITS_CLUSTER_BIND_HOSTNAME"] = "0.0.0.0",
        };
        return new LabNode(lab, number, $"{clusterNode}\n{extraConfig}", environment, track);
    }

    private ChildProcessor Launch()
    {
        var config = ChildProcessor.WriteConfig(_hocon);
        var child = ChildProcessor.Launch(_lab.InNode(Number, "dotnet", ChildProcessor.Program, "process", "--config", config), config, _environment);
        _track?.Invoke(child);
        return child;
    }

    private async Task SuperviseAsync()
    {
        while (true)
        {
            var child = _current;
            await child.WaitForExitAsync();
            var exit = new Exit(child.ExitCode, DateTime.UtcNow, await child.StandardError);
            lock (_exits)
                _exits.Add(exit);
            if (_stopped.IsCancellationRequested)
                return;
            try
            {
                await Task.Delay(RestartDelay, _stopped.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_gate)
            {
                // Stopped meanwhile: what stops the node kills the current incarnation under this lock.
                if (_stopped.IsCancellationRequested)
                    return;
                _current = Launch();
            }
        }
    }

    /// <summary>Stops the node as <c>docker stop</c> does (SIGTERM, no restart); its exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan within)
    {
        await _stopped.CancelAsync();
        ChildProcessor child;
        lock (_gate)
            child = _current;
        if (child.HasExited)
            return child.ExitCode;
        child.Signal("TERM");
        var exited = child.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(within)) != exited)
        {
            child.Kill();
            await _supervising;
            return null;
        }
        await _supervising;
        return child.ExitCode;
    }

    /// <summary>Everything every incarnation wrote, for a failing test's message.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var lines = Exits.Select((e, i) => $"--- incarnation {i + 1}, exit code {e.Code} at {e.At:HH:mm:ss.fff}\n{e.Error}").ToList();
        if (!_current.HasExited)
            lines.Add($"--- running incarnation\n{await _current.DiagnosticsAsync()}");
        return string.Join("\n", lines);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopped.CancelAsync();
        // Killed, not disposed, while the supervisor still waits for it: it then sees the exit and stops.
        lock (_gate)
            _current.Kill();
        if (await Task.WhenAny(_supervising, Task.Delay(TimeSpan.FromSeconds(30))) != _supervising)
            throw new TimeoutException($"node {Number}'s supervisor did not stop");
        _current.Dispose();
    }

    /// <summary>An incarnation that exited: its code, when, and its standard error.</summary>
    public sealed record Exit(int Code, DateTime At, string Error);
}
