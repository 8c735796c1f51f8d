using System.Text.Json;
using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Dashboard;
using ActorVisits.Http;
using ActorVisits.Kafka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ActorVisits.Hosting;

/// <summary>
/// The host of `process` and `demo`: one Microsoft.Extensions.Hosting application with the actor system (Akka.Hosting),
/// the processor as a hosted service, and Kestrel serving queries, health and metrics. Stopping it stops the
/// processor first (drain, commit), then the actor system (CoordinatedShutdown: a cluster node leaves), then Kestrel.
/// </summary>
public static class ProcessorHost
{
    public static WebApplication Build(ProcessorHostOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "actorvisits" });
        builder.Logging.AddActorVisitsConsole(options.Log);
        // The command line owns Ctrl+C and SIGTERM (one shutdown path with --duration): the host does not listen for them.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<UrlActorCount>();
        builder.Services.ConfigureAkka(options);
        builder.Services.AddSingleton<ProcessorService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ProcessorService>());
        builder.Services.AddSingleton<ProcessorMetricsExporter>();
        builder.Services.AddDashboard(options);
        builder.Services.AddHealthChecks()
            .AddCheck<ProcessorLiveness>("processor-live", tags: [ProcessorLiveness.Tag])
            .AddCheck<ProcessorReadiness>("processor-ready", tags: [ProcessorReadiness.Tag]);
        builder.WebHost.UseUrls($"http://{options.Cluster.HttpBind}:{options.Cluster.HttpPort}");

        var app = builder.Build();
        KafkaLog.LoggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var processor = app.Services.GetRequiredService<ProcessorService>();
        app.MapUrlQueries(() => processor.Processor?.Queries);
        app.MapHealthChecks("/healthz/live", Checks(ProcessorLiveness.Tag));
        app.MapHealthChecks("/healthz/ready", Checks(ProcessorReadiness.Tag));
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ProcessorMetricsExporter>().Registry);
        app.MapDashboard();
        return app;
    }

    /// <summary>Akka through Akka.Hosting: the HOCON configuration as it is, Akka's log into the one pipeline, clustering when enabled.</summary>
    public static IServiceCollection ConfigureAkka(this IServiceCollection services, ProcessorHostOptions options) =>
        services.AddAkka(ClusterSettings.SystemName, (akka, _) =>
        {
            akka.AddHocon(options.Config, HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.LogLevel = AkkaLevel(options.Log.Level, options.Config.GetString("akka.loglevel", "WARNING"));
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithActorSystemLivenessCheck(tags: [ProcessorLiveness.Tag])
                // Other nodes' dashboards ask this node what it is doing.
                .WithActors((system, _, resolver) =>
                    system.ActorOf(Props.Create(() => new NodeStatusActor(resolver.GetService<LocalNodeStatus>())), NodeStatusActor.Name));
            if (!options.Cluster.Enabled)
                return;
            var cluster = options.Cluster;
            akka.WithRemoting(new RemoteOptions
                {
                    HostName = cluster.BindHostname is { Length: > 0 } bind ? bind : cluster.Hostname,
                    Port = cluster.Port,
                    PublicHostName = cluster.Hostname,
                    PublicPort = cluster.Port,
                })
                .WithClustering(new ClusterOptions { SeedNodes = cluster.SeedAddresses.ToArray() })
                .WithAkkaClusterReadinessCheck(tags: [ProcessorReadiness.Tag]);
        });

    /// <summary>The dashboard: the board of trends read from the window topics, this node's status, the picture pushed every second.</summary>
    private static IServiceCollection AddDashboard(this IServiceCollection services, ProcessorHostOptions options)
    {
        services.AddSingleton(new TrendBoard(options.Processor.Windows));
        services.AddSingleton(options.Kafka);
        services.AddHostedService<TrendFeed>();
        services.AddSingleton(provider => new LocalNodeStatus(provider.GetRequiredService<ProcessorService>(),
            options.Cluster.Enabled ? $"{options.Cluster.Hostname}:{options.Cluster.Port}" : System.Net.Dns.GetHostName()));
        services.AddSingleton<DashboardFeed>();
        services.AddHostedService(provider => provider.GetRequiredService<DashboardFeed>());
        return services;
    }

    /// <summary>Akka's level: the lower of akka.loglevel and the pipeline's, so that --log-level debug shows Akka's debug too.</summary>
    private static AkkaLogLevel AkkaLevel(LogLevel level, string configured)
    {
        var fromConfig = configured.ToUpperInvariant() switch
        {
            "DEBUG" => AkkaLogLevel.DebugLevel,
            "INFO" => AkkaLogLevel.InfoLevel,
            "ERROR" => AkkaLogLevel.ErrorLevel,
            _ => AkkaLogLevel.WarningLevel,
        };
        var fromPipeline = level <= LogLevel.Debug ? AkkaLogLevel.DebugLevel : AkkaLogLevel.ErrorLevel;
        return (AkkaLogLevel)Math.Min((int)fromConfig, (int)fromPipeline);
    }

    private static HealthCheckOptions Checks(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = async (context, report) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            }));
        },
    };

    /// <summary>Starts and stops with the host, without listening for signals itself.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
