using System.Text.Json;
using ActorVisits.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Dashboard;

/// <summary>
/// Once a second, builds the dashboard's picture once for every client: the top URLs of every window (with their
/// sparklines) from the <see cref="TrendBoard"/>, and the pipeline of every node (its own status; on a cluster, each Up
/// member's, asked through its <see cref="NodeStatusActor"/>). Event streams wait on <see cref="NextAsync"/>, so a
/// hundred open pages cost one computation, not a hundred.
/// </summary>
public sealed class DashboardFeed(TrendBoard board, LocalNodeStatus local, ActorSystem system, ProcessorHostOptions options, ILogger<DashboardFeed> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>URLs per window in the pushed picture.</summary>
    public const int TopUrls = 15;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromMilliseconds(800);

    private volatile Snapshot _current = new(0, "{}"u8.ToArray());
    private TaskCompletionSource<Snapshot> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _lastFailureLogged = DateTimeOffset.MinValue;

    /// <summary>The latest picture.</summary>
    public Snapshot Current => _current;

    /// <summary>Completes with the next picture.</summary>
    public Task<Snapshot> NextAsync() => Volatile.Read(ref _next).Task;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval);
        long sequence = 0;
        do
        {
            var now = DateTimeOffset.UtcNow;
            try
            {
                local.Sample(now);
                board.Sample(now);
                var pipeline = await PipelineAsync();
                var snapshot = new Snapshot(++sequence, JsonSerializer.SerializeToUtf8Bytes(Picture(now, pipeline), DashboardJson.Options));
                _current = snapshot;
                Interlocked.Exchange(ref _next, new TaskCompletionSource<Snapshot>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(snapshot);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // An exception escaping a hosted service stops the host, and with it the counting: a picture is
                // skipped instead, and said once a minute at most.
                if (now - _lastFailureLogged >= TimeSpan.FromMinutes(1))
                {
                    logger.LogWarning(e, "Dashboard picture skipped");
                    _lastFailureLogged = now;
                }
            }
        }
        while (await WaitAsync(timer, stopping));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private object Picture(DateTimeOffset now, PipelineView pipeline) => new
    {
        at = now,
        node = local.Node,
        lastUpdateAt = board.LastUpdateAt,
        updatesRead = board.Updates,
        historyStepSeconds = TrendBoard.HistoryStep.TotalSeconds,
        windows = board.Windows.Select(w => new
        {
            window = w.Name,
            seconds = w.Seconds,
            topic = w.Topic,
            urls = board.Top(w, TopUrls).Select(DashboardJson.Row),
        }),
        pipeline,
    };

    /// <summary>Every node's status: this one's, and on a cluster every other Up or joining member's (or why it did not answer).</summary>
    public async Task<PipelineView> PipelineAsync()
    {
        var nodes = new List<NodeStatus> { local.Current() };
        if (options.Cluster.Enabled)
        {
            var cluster = Cluster.Get(system);
            var others = cluster.State.Members
                .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining && !m.Address.Equals(cluster.SelfAddress))
                .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
                .ToList();
            var answers = await Task.WhenAll(others.Select(AskAsync));
            nodes.AddRange(answers);
        }
        var partitions = nodes.SelectMany(n => n.Partitions).OrderBy(p => p.Partition).ThenBy(p => p.Node, StringComparer.Ordinal).ToList();
        return new PipelineView(
            nodes,
            partitions,
            Math.Round(nodes.Sum(n => n.VisitsPerSecond), 1),
            Math.Round(nodes.Sum(n => n.UpdatesPerSecond), 1),
            nodes.Sum(n => n.Late),
            nodes.Sum(n => n.DeadLetters),
            nodes.SelectMany(n => n.DeadLettersByReason).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Value)),
            Cluster: options.Cluster.Enabled);
    }

    private async Task<NodeStatus> AskAsync(Member member)
    {
        var name = $"{member.Address.Host}:{member.Address.Port}";
        var unreachable = Cluster.Get(system).State.Unreachable.Any(u => u.Address.Equals(member.Address));
        if (unreachable)
            return NodeStatus.NoAnswer(name, "unreachable");
        try
        {
            var answer = await system.ActorSelection(new RootActorPath(member.Address) / "user" / NodeStatusActor.Name)
                .Ask<NodeStatusActor.NodeStatusJson>(NodeStatusActor.GetNodeStatus.Instance, AskTimeout);
            return JsonSerializer.Deserialize<NodeStatus>(answer.Json) ?? NodeStatus.NoAnswer(name, "no status");
        }
        catch (Exception e) when (e is AskTimeoutException or JsonException or ActorNotFoundException)
        {
            return NodeStatus.NoAnswer(name, member.Status == MemberStatus.Up ? "no answer" : member.Status.ToString().ToLowerInvariant());
        }
    }

    /// <summary>One second's picture: its number and its JSON as pushed to every page.</summary>
    public sealed record Snapshot(long Sequence, byte[] Json);
}

/// <summary>The pipeline panel: every node, every partition and the totals over the cluster.</summary>
public sealed record PipelineView(
    IReadOnlyList<NodeStatus> Nodes,
    IReadOnlyList<PartitionView> Partitions,
    double VisitsPerSecond,
    double UpdatesPerSecond,
    long Late,
    long DeadLetters,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    bool Cluster);

/// <summary>The JSON shapes of the dashboard API.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static object Row(TrendRow row) => new { url = row.Url, count = row.Count, perSecond = Math.Round(row.PerSecond, 3), history = row.History };
}
