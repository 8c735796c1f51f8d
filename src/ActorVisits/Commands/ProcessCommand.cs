using System.CommandLine;
using ActorVisits.Hosting;
using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Commands;

/// <summary>
/// Runs the windowed processor on its host (Akka.Hosting, Kestrel: queries, health, metrics) until Ctrl+C / SIGTERM
/// or --duration, then stops the host: the processor drains and commits, a cluster node leaves the cluster, and the
/// command exits 0 (1 when the stream failed or could not drain).
/// </summary>
internal static class ProcessCommand
{
    /// <summary>Longest wait for the host to stop: the drain (or closing the consumer when it cannot), then leaving the cluster.</summary>
    private static readonly TimeSpan StopTimeout = ProcessorService.DrainTimeout + ProcessorService.CloseTimeout + TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var clusterOptions = new ClusterOptions();
        var log = new LogCliOptions();
        var groupId = new Option<string?>("--group-id", "-g")
        {
            Description = "Consumer group; a restarted group resumes from its commits. Default: actorvisits.processor.group-id (actorvisits).",
        };
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Rewind the group: its partitions start at their earliest offsets instead of its commits, so everything still held is counted again " +
                          "(refused, exit code 3, while the group has other members). " +
                          "With repartition = on it rewinds the input only, whose copies are then skipped as counted already: use a new --group-id to count again.",
        };
        var duration = Durations.Option("--duration", "Stop after this long (e.g. 10m), as Ctrl+C would; default: until Ctrl+C or SIGTERM.");
        var command = new Command("process",
            "Count visits per URL over sliding windows (30 s, 1 min, 5 min by default) and produce every change, keyed by URL with acks=all, " +
            "to visits_30s, visits_1mn and visits_5mn; offsets are committed after the updates are acknowledged. Serves GET /urls/{url}, " +
            "/healthz/live, /healthz/ready and /metrics.")
        {
            groupId, fromBeginning, duration,
        };
        kafka.AddTo(command);
        clusterOptions.AddTo(command);
        log.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var kafkaSettings = kafka.Resolve(parse, config);
            var settings = ProcessorSettings.FromConfig(config);
            settings = settings with { GroupId = parse.GetValue(groupId) ?? settings.GroupId, FromBeginning = parse.GetValue(fromBeginning) };
            var options = new ProcessorHostOptions(config, kafkaSettings, settings, clusterOptions.Resolve(parse, config), log.Resolve(parse, config));
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } runFor)
                stopping.CancelAfter(runFor);
            await using var host = ProcessorHost.Build(options);
            return await RunAsync(host, stopping.Token);
        });
        return command;
    }

    /// <summary>
    /// Runs the host (started here unless <paramref name="started"/>) until <paramref name="stopping"/> or until the
    /// processor stops on its own; then stops it, the one way: the processor drains and commits, then the actor system
    /// stops (a cluster node leaves). Returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(WebApplication host, CancellationToken stopping, bool started = false)
    {
        var processor = host.Services.GetRequiredService<ProcessorService>();
        if (!started)
        {
            try
            {
                await host.StartAsync(CancellationToken.None);
            }
            catch (IOException e)
            {
                // The processor started before the server failed to bind: it drains, commits and leaves its group (a
                // cluster node leaves the cluster) before the error is reported, rather than vanish mid-stream.
                await StopWithinBudgetAsync(host);
                throw new InvalidConfigurationException($"Cannot listen for HTTP: {e.Message}; --http-port picks another port (0: any free one).", e);
            }
            host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorVisits.Http")
                .LogInformation("HTTP on {Urls}: the dashboard at /, GET /urls/{{url}}, /api/top, /healthz/live, /healthz/ready, /metrics", string.Join(", ", host.Urls));
        }
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        await Task.WhenAny(Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default), processor.Ended,
            Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default));
        return await StopWithinBudgetAsync(host) ? processor.ExitCode : 1;
    }

    /// <summary>Stops the host within <see cref="StopTimeout"/>; false (and said) when it did not.</summary>
    private static async Task<bool> StopWithinBudgetAsync(WebApplication host)
    {
        using var stopTimeout = new CancellationTokenSource(StopTimeout);
        try
        {
            // Not only asked: a service that does not heed the token (Akka's leaving, a blocking close) must not keep the
            // process past its budget, where the termination time-out would end it as an interrupt.
            await host.StopAsync(stopTimeout.Token).WaitAsync(StopTimeout + TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            Console.Error.WriteLine($"The host did not stop within {StopTimeout.TotalSeconds:0} s.");
            return false;
        }
    }
}
