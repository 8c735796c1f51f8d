using ActorVisits.Actors;
using ActorVisits.Entities;
using Akka.Actor;
using Prometheus;

namespace ActorVisits.Hosting;

/// <summary>
/// The processor's figures in the Prometheus text format (<c>/metrics</c>), in a registry of this host's own together
/// with the process's (.NET) figures. Counters and gauges are read from the processor when scraped; the latency and
/// rebuild histograms are observed as events happen. prometheus-net rather than OpenTelemetry's exporter: it is stable,
/// writes the text format itself and needs nothing else, where OpenTelemetry's Prometheus exporter is only a beta here.
/// </summary>
public sealed class ProcessorMetricsExporter
{
    private static readonly double[] LatencyBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];
    private static readonly double[] RebuildBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly Counter _visits;
    private readonly Counter _late;
    private readonly Counter _updates;
    private readonly Counter _deadLetters;
    private readonly Counter _fenced;
    private readonly Counter _notProducedAgain;
    private readonly Counter _replayed;
    private readonly Counter _commitFailures;
    private readonly Counter _consumeErrors;
    private readonly Counter _readAgain;
    private readonly Counter _lostAssignments;
    private readonly Gauge _lag;
    private readonly Gauge _inFlight;
    private readonly Gauge _urlActors;
    private readonly Gauge _assigned;
    private readonly Gauge _rebuilding;
    private readonly Gauge _clusterMembers;
    private readonly Gauge _unreachable;
    private readonly Gauge _ready;
    private readonly Histogram _latency;
    private readonly Histogram _rebuild;

    public ProcessorMetricsExporter(ActorSystem system, ProcessorService service, UrlActorCount urlActors)
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var metrics = Metrics.WithCustomRegistry(Registry);
        _visits = metrics.CreateCounter("actorvisits_visits_counted_total", "Valid visits counted in their windows (a visit read again after a fault counts again here, once in the windows).");
        _late = metrics.CreateCounter("actorvisits_late_visits_total", "Valid visits too old for every window, copied to the late topic.");
        _updates = metrics.CreateCounter("actorvisits_window_updates_produced_total", "Window updates produced (acks=all).");
        _deadLetters = metrics.CreateCounter("actorvisits_dead_letters_total", "Records sent to the dead-letter topic, by reason code.", "reason");
        _fenced = metrics.CreateCounter("actorvisits_outputs_fenced_total", "Updates and late copies not produced because their input partition was revoked after they were made.");
        _notProducedAgain = metrics.CreateCounter("actorvisits_updates_not_produced_again_total", "Updates of records a partition coming back had produced and acknowledged already.");
        _replayed = metrics.CreateCounter("actorvisits_rebuild_records_total", "Records read again to rebuild windows.");
        _commitFailures = metrics.CreateCounter("actorvisits_commit_failures_total", "Commits refused for a retriable reason, retried with later positions.");
        _readAgain = metrics.CreateCounter("actorvisits_records_read_again_total", "Records a consumer or a rebuild delivered again within one assignment (an offset handled already); dropped, never counted twice.");
        _consumeErrors = metrics.CreateCounter("actorvisits_consume_errors_total", "Consume errors librdkafka recovered from by itself (fetch time-outs, brokers gone).");
        _lostAssignments = metrics.CreateCounter("actorvisits_assignments_lost_total", "Times the group took a consumer's partitions away as lost (its session expired or the coordinator forgot it); not ready until it rejoins.");
        _lag = metrics.CreateGauge("actorvisits_consumer_lag_records", "Records between the last committed position and the partition's end, per assigned partition.", "topic", "partition");
        _inFlight = metrics.CreateGauge("actorvisits_records_in_flight", "Records read whose outputs are not acknowledged yet.");
        _urlActors = metrics.CreateGauge("actorvisits_url_actors", "URL actors alive (URLs with visits in the longest window).");
        _assigned = metrics.CreateGauge("actorvisits_assigned_partitions", "Input partitions assigned to this process.");
        _rebuilding = metrics.CreateGauge("actorvisits_rebuilding_partitions", "Assigned partitions whose windows are still being rebuilt.");
        _clusterMembers = metrics.CreateGauge("actorvisits_cluster_members", "Members of the Akka cluster as this node sees them, by status (0 when not clustered).", "status");
        _unreachable = metrics.CreateGauge("actorvisits_cluster_unreachable_members", "Members this node's failure detector (or another's, through gossip) finds unreachable; the split brain resolver downs them once the membership is stable.");
        _ready = metrics.CreateGauge("actorvisits_ready", "1 when the processor is ready (/healthz/ready), else 0.");
        _latency = metrics.CreateHistogram("actorvisits_visit_to_ack_latency_seconds",
            "From a visit's record timestamp (its production) to the acknowledgement of every update it caused.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _rebuild = metrics.CreateHistogram("actorvisits_rebuild_duration_seconds", "Time to rebuild one partition's windows by replay.", new HistogramConfiguration { Buckets = RebuildBuckets });
        Registry.AddBeforeCollectCallback(() => Collect(system, service, urlActors));
        service.Started += processor =>
        {
            processor.Metrics.LatencyObserved = latency => _latency.Observe(latency.TotalSeconds);
            processor.Metrics.RebuildObserved = (took, _) => _rebuild.Observe(took.TotalSeconds);
        };
    }

    public CollectorRegistry Registry { get; }

    private void Collect(ActorSystem system, ProcessorService service, UrlActorCount urlActors)
    {
        var clustered = system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal);
        if (clustered)
        {
            var state = Akka.Cluster.Cluster.Get(system).State;
            foreach (var status in Enum.GetValues<Akka.Cluster.MemberStatus>())
                _clusterMembers.WithLabels(status.ToString()).Set(state.Members.Count(m => m.Status == status));
            _unreachable.Set(state.Unreachable.Count);
        }
        else
        {
            // Not clustered: every status at 0, as the help says, rather than no series at all.
            foreach (var status in Enum.GetValues<Akka.Cluster.MemberStatus>())
                _clusterMembers.WithLabels(status.ToString()).Set(0);
        }
        _urlActors.Set(urlActors.Value);
        if (service.Processor is not { } processor)
        {
            _ready.Set(0);
            return;
        }
        var metrics = processor.Metrics;
        _visits.IncTo(metrics.Visits);
        _late.IncTo(metrics.Late);
        _updates.IncTo(metrics.Updates);
        foreach (var (reason, count) in metrics.DeadLettersByReason)
            _deadLetters.WithLabels(reason).IncTo(count);
        _fenced.IncTo(metrics.Fenced);
        _notProducedAgain.IncTo(metrics.NotProducedAgain);
        _replayed.IncTo(metrics.Replayed);
        _inFlight.Set(metrics.RecordsInFlight);
        var consumers = processor.Consumers;
        _commitFailures.IncTo(consumers.Sum(c => c.Metrics.CommitFailures));
        _consumeErrors.IncTo(consumers.Sum(c => c.Metrics.ConsumeErrors));
        _readAgain.IncTo(metrics.ReplayReadAgain + consumers.Sum(c => c.Metrics.ReadAgain));
        _lostAssignments.IncTo(consumers.Sum(c => c.Metrics.LostAssignments));
        // Set first, then only the partitions no longer held removed: a scrape running at the same time (two
        // Prometheus servers) never sees the series missing.
        var held = new HashSet<(string Topic, string Partition)>();
        foreach (var consumer in consumers)
        {
            foreach (var (partition, lag) in consumer.Metrics.Lags)
            {
                var labels = (partition.Topic, Partition: partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                held.Add(labels);
                _lag.WithLabels(labels.Topic, labels.Partition).Set(lag);
            }
        }
        foreach (var labels in _lag.GetAllLabelValues().ToList())
        {
            if (labels.Length == 2 && !held.Contains((labels[0], labels[1])))
                _lag.RemoveLabelled(labels);
        }
        var partitions = processor.Partitions();
        _assigned.Set(partitions.Count);
        _rebuilding.Set(partitions.Count(p => !p.Rebuilt));
        // The verdict of /healthz/ready: a cluster member that is not Up (leaving, exiting) is not ready either.
        _ready.Set(ProcessorReadiness.IsReady(system, service, clustered) ? 1 : 0);
    }
}
