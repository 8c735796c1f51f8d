using System.Text.Json;
using ActorVisits.Hosting;
using Akka.Actor;

namespace ActorVisits.Dashboard;

/// <summary>What one node's processor is doing: its rates, what it rejected, and the partitions it owns.</summary>
public sealed record NodeStatus(
    string Node,
    bool Self,
    string State,
    double VisitsPerSecond,
    double UpdatesPerSecond,
    long Visits,
    long Updates,
    long Late,
    long DeadLetters,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    IReadOnlyList<PartitionView> Partitions)
{
    public static NodeStatus NoAnswer(string node, string why) => new(node, false, why, 0, 0, 0, 0, 0, 0, new Dictionary<string, long>(), []);
}

/// <summary>An input partition as its owner sees it: rebuilding its windows or counting, and its consumer lag.</summary>
public sealed record PartitionView(int Partition, string Node, bool Rebuilding, long? Lag);

/// <summary>
/// This node's <see cref="NodeStatus"/>, with its rates measured between two samples (about a second apart).
/// </summary>
public sealed class LocalNodeStatus(ProcessorService service, string node)
{
    private readonly object _gate = new();
    private (DateTimeOffset At, long In, long Out)? _previous;
    private (double In, double Out) _rates;

    public string Node { get; } = node;

    /// <summary>Measures the rates since the previous call; called once a second by the dashboard's sampler.</summary>
    public void Sample(DateTimeOffset now)
    {
        if (service.Processor is not { } processor)
            return;
        var metrics = processor.Metrics;
        var read = metrics.Visits + metrics.Late + metrics.DeadLettered;
        var written = metrics.Updates;
        lock (_gate)
        {
            if (_previous is { } previous && now > previous.At)
            {
                var seconds = (now - previous.At).TotalSeconds;
                _rates = (Math.Max(0, read - previous.In) / seconds, Math.Max(0, written - previous.Out) / seconds);
            }
            _previous = (now, read, written);
        }
    }

    public NodeStatus Current()
    {
        if (service.Processor is not { } processor)
            return NodeStatus.NoAnswer(Node, "starting") with { Self = true };
        var metrics = processor.Metrics;
        (double In, double Out) rates;
        lock (_gate)
            rates = _rates;
        var partitions = processor.Partitions().Select(p => new PartitionView(p.Partition, Node, !p.Rebuilt, p.Lag)).ToList();
        var state = processor.AnyStopped.IsCompleted ? "stopped" : processor.NotReadyBecause() is null ? "counting" : "rebuilding";
        return new NodeStatus(Node, true, state, Math.Round(rates.In, 1), Math.Round(rates.Out, 1), metrics.Visits, metrics.Updates, metrics.Late,
            metrics.DeadLettered, metrics.DeadLettersByReason, partitions);
    }
}

/// <summary>
/// Answers other nodes' dashboards with this node's status, at <c>/user/node-status</c>. The status travels as JSON
/// text, so remoting needs no serializer of its own for it.
/// </summary>
public sealed class NodeStatusActor : ReceiveActor
{
    public const string Name = "node-status";

    public NodeStatusActor(LocalNodeStatus status)
    {
        Receive<GetNodeStatus>(_ => Sender.Tell(new NodeStatusJson(JsonSerializer.Serialize(status.Current() with { Self = false }))));
    }

    public sealed record GetNodeStatus
    {
        public static GetNodeStatus Instance { get; } = new();
    }

    public sealed record NodeStatusJson(string Json);
}
