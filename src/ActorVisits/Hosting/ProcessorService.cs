using ActorVisits.Actors;
using ActorVisits.Processing;
using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Hosting;

/// <summary>
/// The windowed processor as a hosted service: started once the actor system is (on a cluster, once this node is an
/// Up member: before, its shard region could not host the shards of the partitions it would be given), and stopped
/// before the actor system, draining what is in flight and committing it. A stream that fails, or an actor system that
/// terminates under it (the cluster downed this node), stops the host with exit code 1.
/// </summary>
public sealed class ProcessorService(
    ActorSystem system, ProcessorHostOptions options, UrlActorCount urlActors, IHostApplicationLifetime lifetime, ILogger<ProcessorService> logger)
    : IHostedService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait for the stream to drain and commit when the host stops.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest wait for the consumer to close when the stream could not drain or failed: it commits what was
    /// acknowledged and leaves the group, so that another member takes the partitions over at once (not when the group
    /// coordinator is what is down: neither can be sent then, and the group waits for the session time-out).
    /// </summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _running = Task.CompletedTask;
    private volatile VisitProcessor? _processor;

    /// <summary>The processor once started; null while a cluster node is still joining.</summary>
    public VisitProcessor? Processor => _processor;

    /// <summary>Called with the processor as soon as it has started (an exporter attaching to its events).</summary>
    public event Action<VisitProcessor>? Started;

    /// <summary>
    /// 0 for a graceful stop; 3 when a rewind (--from-beginning) was refused because the group has other members; 1
    /// when the stream failed otherwise, could not drain, the actor system was terminated under it (a downed node), or
    /// the node did not become an Up cluster member within the cluster's join-timeout.
    /// </summary>
    public int ExitCode { get; private set; }

    /// <summary>Completes when the processor stops on its own (an error, a downed node): the host should stop then.</summary>
    public Task Ended => _ended.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            if (options.Cluster.Enabled && !await JoinedAsync(stopping))
            {
                if (!stopping.IsCancellationRequested)
                {
                    ExitCode = 1;
                    _ended.TrySetResult();
                    StopHostOnceStarted();
                }
                return;
            }
            // On a cluster, answers may wait for the shard coordinator to move (ClusterSettings.AskTimeout).
            var settings = options.Cluster.Enabled ? options.Processor with { AskTimeout = options.Cluster.AskTimeout } : options.Processor;
            var processor = VisitProcessor.Start(system, options.Kafka, settings, clustered: options.Cluster.Enabled, urlActors: urlActors);
            _processor = processor;
            Started?.Invoke(processor);
            logger.LogInformation("Processing '{Input}' on {Brokers} as group '{Group}': {Windows}; bad records -> {DeadLetters}; late visits -> {Late}",
                settings.InputTopic, options.Kafka.BootstrapServers, settings.GroupId,
                string.Join(", ", settings.Windows.Windows.Select(w => $"{w.Name} -> {w.Topic}")), settings.DeadLetterTopic, settings.LateTopic ?? "counted only");
            using var progress = new PeriodicTimer(ProgressInterval);
            var stopped = processor.AnyStopped;
            var terminated = system.WhenTerminated;
            while (!stopped.IsCompleted && !terminated.IsCompleted)
            {
                var tick = progress.WaitForNextTickAsync(stopping).AsTask();
                await Task.WhenAny(tick, stopped, terminated);
                if (stopping.IsCancellationRequested)
                    return;
                // A warning while visits arrive keyed other than by URL (their counts split per partition), so that log
                // collectors filtering by level see it.
                if (tick.IsCompletedSuccessfully)
                    logger.Log(processor.Metrics.NotKeyedByUrl > 0 && !settings.Repartition ? LogLevel.Warning : LogLevel.Information, "{Progress}", processor.Metrics);
            }
            ExitCode = 1;
            if (CoordinatedShutdown.Get(system).ShutdownReason is { } reason)
            {
                // The stream may fail first, its actors stopped under it: the reason is the actor system's.
                logger.LogError("Stopped: the actor system is shutting down under the processor ({Reason}){Downed}", reason.GetType().Name,
                    reason is CoordinatedShutdown.ClusterDowningReason ? ": the cluster downed this node; exiting for a restart" : "");
                // Its consumer still commits what was acknowledged and leaves the group, so that the partitions move at
                // once rather than after the session time-out.
                await CloseConsumerAsync(processor);
            }
            else if (processor.Error is { } error)
            {
                logger.LogError("Stopped on error: {Error}", error.Message);
                await CloseConsumerAsync(processor);
                if (error is Kafka.Admin.ActiveMembersException)
                    ExitCode = 3;
            }
            else if (terminated.IsCompleted)
                logger.LogError("Stopped: the actor system terminated under the processor; exiting for a restart.");
            _ended.TrySetResult();
            StopHostOnceStarted();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The processor could not start (brokers unreachable, the input topic missing when the repartition topic is
            // made) or its stop failed: said, and the host stops with 1, rather than a live process that does nothing.
            logger.LogError("{What}: {Error}", _processor is null ? "Could not start the processor" : "Stopped on error", StreamFailure.Cause(e).Message);
            ExitCode = 1;
            if (_processor is { } started)
                await CloseConsumerAsync(started);
            _ended.TrySetResult();
            StopHostOnceStarted();
        }
    }

    /// <summary>
    /// Stops the host, once it has started: asked while it is still starting (a processor that failed at once), the
    /// stop would cancel the HTTP server's start and the error would surface as an interrupt.
    /// </summary>
    private void StopHostOnceStarted() => lifetime.ApplicationStarted.Register(lifetime.StopApplication);

    /// <summary>
    /// Waits until this node is an Up member; false when stopped first or when the join-timeout passed first (logged).
    /// Says so every 10 s.
    /// </summary>
    private async Task<bool> JoinedAsync(CancellationToken stopping)
    {
        var deadline = DateTime.UtcNow + options.Cluster.JoinTimeout;
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        logger.LogInformation("Cluster node {Address}, joining {Seeds}", Akka.Cluster.Cluster.Get(system).SelfAddress, string.Join(", ", options.Cluster.SeedAddresses));
        using var progress = new PeriodicTimer(TimeSpan.FromSeconds(10));
        while (!up.Task.IsCompleted)
        {
            await Task.WhenAny(up.Task, progress.WaitForNextTickAsync(stopping).AsTask());
            if (stopping.IsCancellationRequested)
                return false;
            if (up.Task.IsCompleted)
                break;
            var self = Akka.Cluster.Cluster.Get(system).SelfMember;
            if (DateTime.UtcNow >= deadline)
            {
                logger.LogError("Not an Up cluster member {Seconds:0} s after starting (status {Status}, {Members} member(s) seen): the seed nodes {Seeds} " +
                                "are unreachable, or this node started a cluster of its own that lacks akka.cluster.min-nr-of-members. Exiting to be restarted and try again.",
                    options.Cluster.JoinTimeout.TotalSeconds, self.Status, Akka.Cluster.Cluster.Get(system).State.Members.Count, string.Join(", ", options.Cluster.SeedNodes));
                return false;
            }
            logger.LogWarning("Still joining the cluster (status {Status}); nothing is consumed until this node is up.", self.Status);
        }
        logger.LogInformation("This node is up in the cluster");
        return true;
    }

    /// <summary>Drains what is in flight, commits it and closes the consumers, before the actor system stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _running;
        if (_processor is not { } processor || _ended.Task.IsCompleted)
            return;
        var drained = processor.DrainAndStopAsync();
        if (await Task.WhenAny(drained, Task.Delay(DrainTimeout, CancellationToken.None)) != drained)
        {
            // A broker or the coordinator down, a rebuild not finished: the consumer still commits what was
            // acknowledged and leaves the group rather than heartbeating until the process dies.
            logger.LogError("Could not drain within {Seconds:0} s; closing the consumer: what was acknowledged is committed, the rest will be read again.",
                DrainTimeout.TotalSeconds);
            ExitCode = 1;
            await CloseConsumerAsync(processor);
            return;
        }
        try
        {
            await drained;
            logger.LogInformation("Stopped after draining and committing. {Progress}", processor.Metrics);
        }
        catch (Exception e)
        {
            logger.LogError("Stopped on error: {Error}", Processing.StreamFailure.Cause(e).Message);
            ExitCode = 1;
        }
    }

    /// <summary>Closes the consumer, waiting <see cref="CloseTimeout"/> at most (a coordinator that does not answer).</summary>
    private async Task CloseConsumerAsync(VisitProcessor processor)
    {
        var closed = processor.AbortAsync();
        try
        {
            await closed.WaitAsync(CloseTimeout);
        }
        catch (TimeoutException)
        {
            logger.LogError("The consumer did not close within {Seconds:0} s; the group takes its partitions back after its session time-out.",
                CloseTimeout.TotalSeconds);
        }
        catch (Exception)
        {
            // The consumer itself may be what failed (a client property librdkafka refused); the stream's error says it.
        }
    }
}
