using ActorVisits.Kafka.Settings;
using System.CommandLine;
using ActorVisits.Configuration;
using ActorVisits.Http;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using Akka.Actor;

namespace ActorVisits.Commands;

/// <summary>
/// Runs the windowed processor until Ctrl+C / SIGTERM, then drains, commits, leaves the cluster (as a cluster node)
/// and exits. Serves the URL query endpoint meanwhile.
/// </summary>
internal static class ProcessCommand
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for leaving the cluster once drained: what was consumed is committed already.</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var clusterOptions = new ClusterOptions();
        var groupId = new Option<string?>("--group-id", "-g")
        {
            Description = "Consumer group; a restarted group resumes from its commits. Default: actorvisits.processor.group-id (actorvisits).",
        };
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Rewind the group to the earliest offsets first (refused while it has members), so everything still held is counted again. " +
                          "With repartition = on it rewinds the input only, whose copies are then skipped as counted already: use a new --group-id to count again.",
        };
        var command = new Command("process",
            "Count visits per URL over sliding windows (30 s, 1 min, 5 min by default) and produce every change, keyed by URL with acks=all, " +
            "to visits_30s, visits_1mn and visits_5mn; offsets are committed after the updates are acknowledged.")
        {
            groupId, fromBeginning,
        };
        kafka.AddTo(command);
        clusterOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = kafka.LoadConfig(parse);
            var kafkaSettings = kafka.Resolve(parse, config);
            var settings = ProcessorSettings.FromConfig(config);
            settings = settings with { GroupId = parse.GetValue(groupId) ?? settings.GroupId };
            var cluster = clusterOptions.Resolve(parse, config);
            var systemConfig = cluster.Enabled ? cluster.AkkaConfig().WithFallback(config) : config;
            if (parse.GetValue(fromBeginning))
            {
                await using IKafkaAdmin kafkaCluster = new KafkaAdmin(kafkaSettings.Client());
                try
                {
                    await kafkaCluster.ResetGroupOffsetsAsync(settings.GroupId, settings.InputTopic, new OffsetTarget.Earliest(), cancellationToken);
                }
                catch (ActiveMembersException e)
                {
                    Console.Error.WriteLine(e.Message);
                    return 3;
                }
            }

            using var system = ActorSystem.Create(ClusterSettings.SystemName, systemConfig);
            if (cluster.Enabled && !await JoinedAsync(system, cancellationToken))
                return 0;
            var processor = VisitProcessor.Start(system, kafkaSettings, settings, clustered: cluster.Enabled);
            Console.Error.WriteLine($"Processing '{settings.InputTopic}' on {kafkaSettings.BootstrapServers} as group '{settings.GroupId}': " +
                                    string.Join(", ", settings.Windows.Windows.Select(w => $"{w.Name} -> {w.Topic}")) +
                                    $"; bad records -> {settings.DeadLetterTopic}; late visits -> {settings.LateTopic ?? "counted only"}. Ctrl+C stops.");
            if (cluster.Enabled)
                Console.Error.WriteLine($"Cluster node akka.tcp://{ClusterSettings.SystemName}@{cluster.Hostname}:{cluster.Port}, joining {string.Join(", ", cluster.SeedNodes)}.");
            Microsoft.AspNetCore.Builder.WebApplication? http = null;
            try
            {
                if (cluster.HttpPort > 0)
                {
                    http = await UrlsEndpoint.StartAsync(cluster.HttpPort, processor.Queries, cancellationToken);
                    Console.Error.WriteLine($"Queries: GET http://{cluster.Hostname}:{cluster.HttpPort}/urls/{{url}}.");
                }
                return await RunUntilStoppedAsync(processor, cancellationToken);
            }
            catch (InvalidConfigurationException)
            {
                await processor.AbortAsync();
                throw;
            }
            finally
            {
                if (http is not null)
                    await http.DisposeAsync();
                // Leaves the cluster first on a cluster node, so that the others see it gone at once rather than after
                // their failure detector and split brain resolver decide.
                var leaving = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
                if (await Task.WhenAny(leaving, Task.Delay(LeaveTimeout)) != leaving)
                    Console.Error.WriteLine($"Did not leave the cluster within {LeaveTimeout.TotalSeconds:0} s; the other nodes will down this one.");
            }
        });
        return command;
    }

    /// <summary>
    /// A cluster node consumes nothing before it is an Up member: until then its shard region cannot host the shards of
    /// the partitions it would be given (a node restarted at the same address waits for its former self to be removed).
    /// False when stopped first.
    /// </summary>
    private static async Task<bool> JoinedAsync(ActorSystem system, CancellationToken stopping)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        using var progress = new PeriodicTimer(TimeSpan.FromSeconds(10));
        while (!up.Task.IsCompleted)
        {
            var tick = progress.WaitForNextTickAsync(stopping).AsTask();
            await Task.WhenAny(up.Task, tick);
            if (stopping.IsCancellationRequested)
                return false;
            if (!up.Task.IsCompleted)
                Console.Error.WriteLine("Still joining the cluster; nothing is consumed until this node is up.");
        }
        return true;
    }

    private static async Task<int> RunUntilStoppedAsync(VisitProcessor processor, CancellationToken stopping)
    {
        using var progress = new PeriodicTimer(ProgressInterval);
        try
        {
            while (!processor.AnyStopped.IsCompleted && await progress.WaitForNextTickAsync(stopping))
                Console.Error.WriteLine(processor.Metrics.ToString());
        }
        catch (OperationCanceledException)
        {
        }
        if (processor.Error is { } error)
        {
            try
            {
                await processor.AbortAsync();
            }
            catch (Exception)
            {
                // The consumer itself may be what failed (a client property librdkafka refused); the stream's error says it.
            }
            Console.Error.WriteLine($"Stopped on error: {error.Message}");
            return 1;
        }
        var drained = processor.DrainAndStopAsync();
        if (await Task.WhenAny(drained, Task.Delay(DrainTimeout)) != drained)
        {
            Console.Error.WriteLine($"Could not drain within {DrainTimeout.TotalSeconds:0} s; uncommitted visits will be read again.");
            return 1;
        }
        try
        {
            await drained;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Stopped on error: {e.GetBaseException().Message}");
            return 1;
        }
        Console.Error.WriteLine($"Stopped after draining and committing. {processor.Metrics.ToString()}");
        return 0;
    }

}
