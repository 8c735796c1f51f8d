using Akka.Actor;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorVisits.Hosting;

/// <summary>
/// Liveness (<c>/healthz/live</c>): the process should be left running: its actor system runs and its stream has not
/// stopped on an error. An orchestrator restarts a process that fails it.
/// </summary>
public sealed class ProcessorLiveness(ActorSystem system, ProcessorService service) : IHealthCheck
{
    public const string Tag = "live";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(system.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy("the actor system has terminated")
            : service.Processor?.Error is { } error
                ? HealthCheckResult.Unhealthy($"the stream stopped on an error: {error.Message}")
                : HealthCheckResult.Healthy("running"));
}

/// <summary>
/// Readiness (<c>/healthz/ready</c>): the processor can be counted on: (on a cluster) this node is an Up member, its
/// consumers have joined their groups and every partition assigned to it has been rebuilt, so its counts and the
/// answers to queries about its URLs are exact. Compose starts the next node once this one is ready.
/// </summary>
public sealed class ProcessorReadiness(ActorSystem system, ProcessorService service, ProcessorHostOptions options) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Cluster.Enabled && Akka.Cluster.Cluster.Get(system).SelfMember.Status != Akka.Cluster.MemberStatus.Up)
            return Task.FromResult(HealthCheckResult.Unhealthy($"cluster member {Akka.Cluster.Cluster.Get(system).SelfMember.Status}, not Up"));
        if (service.Processor is not { } processor)
            return Task.FromResult(HealthCheckResult.Unhealthy("the processor has not started"));
        var notReady = processor.NotReadyBecause();
        var partitions = processor.Partitions();
        var data = new Dictionary<string, object> { ["partitions"] = string.Join(",", partitions.Select(p => p.Partition)) };
        return Task.FromResult(notReady is null
            ? HealthCheckResult.Healthy($"{partitions.Count} partitions assigned and rebuilt", data)
            : HealthCheckResult.Unhealthy(notReady, data: data));
    }
}
