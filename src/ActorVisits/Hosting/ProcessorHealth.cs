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
        if (NotProcessingBecause(system, service, options.Cluster.Enabled) is { } reason)
            return Task.FromResult(HealthCheckResult.Unhealthy(reason));
        var processor = service.Processor!;
        var notReady = processor.NotReadyBecause();
        var partitions = processor.Partitions();
        var data = new Dictionary<string, object> { ["partitions"] = string.Join(",", partitions.Select(p => p.Partition)) };
        return Task.FromResult(notReady is null
            ? HealthCheckResult.Healthy($"{partitions.Count} partitions assigned and rebuilt", data)
            : HealthCheckResult.Unhealthy(notReady, data: data));
    }

    /// <summary>The verdict of <see cref="CheckHealthAsync"/>, for the <c>actorvisits_ready</c> gauge.</summary>
    public static bool IsReady(ActorSystem system, ProcessorService service, bool clustered) =>
        NotProcessingBecause(system, service, clustered) is null && service.Processor!.NotReadyBecause() is null;

    /// <summary>Why there is no processor to ask yet (a cluster member not Up, a processor not started); null when there is.</summary>
    private static string? NotProcessingBecause(ActorSystem system, ProcessorService service, bool clustered)
    {
        if (clustered && Akka.Cluster.Cluster.Get(system).SelfMember.Status is var status && status != Akka.Cluster.MemberStatus.Up)
            return $"cluster member {status}, not Up";
        return service.Processor is null ? "the processor has not started" : null;
    }
}
