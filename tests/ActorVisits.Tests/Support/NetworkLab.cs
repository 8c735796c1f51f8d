using System.Diagnostics;

namespace ActorVisits.Tests.Support;

/// <summary>
/// Hosts without Docker: a bridge on this machine and one Linux network namespace per node, each with its own address
/// and host name (actorvisits-1, actorvisits-2... as compose names its containers; "kafka" is the bridge's address),
/// whose traffic nft rules cut and restore. It drives platform/local/netlab.sh (copied next to the tests), so that the
/// tests and platform/local/cluster.sh build the same network. Needs root, iproute2 and nftables.
/// </summary>
public sealed class NetworkLab : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "lab", "netlab.sh");
    private readonly int _subnet;
    private int _disposed;

    private NetworkLab(string name, int subnet, int nodes)
    {
        Name = name;
        _subnet = subnet;
        Nodes = nodes;
        // A run interrupted (Ctrl+C on the test host) still removes what it made; the next lab also removes stale ones.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public string Name { get; }

    public int Nodes { get; }

    /// <summary>This machine's address on the bridge: where the brokers are reached from the namespaces ("kafka").</summary>
    public string HostAddress => $"10.77.{_subnet}.1";

    /// <summary>The address of node <paramref name="node"/> (1-based).</summary>
    public string NodeAddress(int node) => $"10.77.{_subnet}.1{node}";

    /// <summary>The network namespace of node <paramref name="node"/>.</summary>
    public string Namespace(int node) => $"av-{Name}-n{node}";

    /// <summary>
    /// A lab of <paramref name="nodes"/> namespaces on a /24 of 10.77.0.0/16 that no interface of this machine uses,
    /// after removing the labs of test runs that are gone.
    /// </summary>
    public static NetworkLab Create(int nodes)
    {
        Run("destroy-stale");
        var random = new Random();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var name = $"t{random.Next(0, 1 << 20):x5}";
            var subnet = random.Next(100, 250);
            var (code, output) = TryRun("create", name, $"{nodes}", $"{subnet}");
            if (code == 0)
                return new NetworkLab(name, subnet, nodes);
            if (code != 3)
                throw new InvalidOperationException($"netlab.sh create failed ({code}): {output}");
        }
        throw new InvalidOperationException("No free 10.77.x.0/24 subnet for a network lab.");
    }

    /// <summary>Cuts node <paramref name="node"/> off from its peers, from everything, or from this machine (the brokers).</summary>
    public void Isolate(int node, Cut cut) => Run("isolate", Name, $"{node}", cut switch
    {
        Cut.FromPeers => "peers",
        Cut.FromEverything => "all",
        _ => "brokers",
    });

    /// <summary>Removes every cut of <paramref name="node"/>, or of every node.</summary>
    public void Heal(int? node = null)
    {
        if (node is { } one)
            Run("heal", Name, $"{one}");
        else
            Run("heal", Name);
    }

    /// <summary>The start of a command run in node <paramref name="node"/>'s namespace (ip netns exec keeps the process id).</summary>
    public ProcessStartInfo InNode(int node, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { ArgumentList = { "netns", "exec", Namespace(node), program } };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    private static void Run(params string[] arguments)
    {
        var (code, output) = TryRun(arguments);
        if (code != 0)
            throw new InvalidOperationException($"netlab.sh {string.Join(' ', arguments)} failed ({code}): {output}");
    }

    private static (int Code, string Output) TryRun(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { ArgumentList = { Script }, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["LAB_OWNER_PID"] = $"{Environment.ProcessId}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 60 s");
        }
        return (process.ExitCode, $"{output.Result}{error.Result}".Trim());
    }

    private void OnProcessExit(object? sender, EventArgs e) => Destroy();

    private void Destroy()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        TryRun("destroy", Name);
    }

    /// <summary>Kills what still runs in the namespaces and removes them, the bridge and the rules.</summary>
    public ValueTask DisposeAsync()
    {
        Destroy();
        return ValueTask.CompletedTask;
    }

    public enum Cut
    {
        /// <summary>From the other nodes only: it still reaches the brokers (a split brain).</summary>
        FromPeers,

        /// <summary>From the other nodes and the brokers.</summary>
        FromEverything,

        /// <summary>From the brokers only.</summary>
        FromBrokers,
    }
}
