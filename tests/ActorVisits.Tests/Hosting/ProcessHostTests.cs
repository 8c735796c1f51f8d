using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Hosting;

/// <summary>
/// The real `actorvisits process` as an operator and an orchestrator see it: health endpoints, Prometheus metrics,
/// its log pipeline (plain and JSON, secrets never written), and its stop through the host.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed partial class ProcessHostTests(EmbeddedKafkaFixture kafka)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Ready_once_its_partitions_are_rebuilt_metrics_give_the_figures_of_the_run_and_sigterm_drains_commits_and_exits_0()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 4);
        var input = InputStream.Generate(seed: 101, count: 3_000, urls: 30);
        input.Produce(kafka.Client, run.Settings.InputTopic);
        var port = TestPorts.Free(1)[0];

        using var child = ChildProcessor.Start(run, ["--http-port", $"{port}"]);
        await Eventually.HoldsAsync(() => child.Running && Status($"http://127.0.0.1:{port}/healthz/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready");
        var metricsWhenReady = await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(0, Value(metricsWhenReady, "actorvisits_rebuilding_partitions"));
        Assert.Equal(4, Value(metricsWhenReady, "actorvisits_assigned_partitions"));
        Assert.Equal(1, Value(metricsWhenReady, "actorvisits_ready"));
        Assert.Equal(HttpStatusCode.OK, Status($"http://127.0.0.1:{port}/healthz/live"));

        await Eventually.HoldsAsync(() => child.Running && run.Lag() == 0, TimeSpan.FromSeconds(60), () => $"caught up (lag {run.Lag()})");
        string metrics = "";
        // The lag gauge follows the commits once a second.
        await Eventually.HoldsAsync(() =>
        {
            metrics = Http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult();
            return Lags(metrics).Count == 4 && Lags(metrics).All(l => l == 0);
        }, TimeSpan.FromSeconds(30), () => "every partition's lag is 0 in /metrics");
        var counted = input.Valid.Count - input.Late.Count;
        Assert.Equal(counted, Value(metrics, "actorvisits_visits_counted_total"));
        Assert.Equal(input.Late.Count, Value(metrics, "actorvisits_late_visits_total"));
        Assert.Equal(input.Bad.Count(b => b.Code == "not-json"), Value(metrics, "actorvisits_dead_letters_total{reason=\"not-json\"}"));
        Assert.Equal(input.Bad.Count(b => b.Code == "future-timestamp"), Value(metrics, "actorvisits_dead_letters_total{reason=\"future-timestamp\"}"));
        Assert.True(Value(metrics, "actorvisits_window_updates_produced_total") >= 3 * counted);
        // Counted when acknowledged: exactly what the window topics hold (nothing was fenced off in this run).
        Assert.Equal(FinalCounts.Duplicates(kafka, run).All, Value(metrics, "actorvisits_window_updates_produced_total"));
        Assert.Equal(counted + input.Late.Count + input.Bad.Count, Value(metrics, "actorvisits_visit_to_ack_latency_seconds_count"));
        Assert.Equal(0, Value(metrics, "actorvisits_records_in_flight"));
        Assert.InRange(Value(metrics, "actorvisits_url_actors"), 1, 30);
        foreach (var name in new[] { "actorvisits_commit_failures_total", "actorvisits_consume_errors_total", "actorvisits_rebuild_records_total", "actorvisits_rebuild_duration_seconds_count", "process_working_set_bytes", "dotnet_total_memory_bytes" })
            Assert.Contains(name, metrics);

        child.Signal("TERM");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(20), "exit after SIGTERM");
        Assert.True(child.ExitCode == 0, await child.StandardError);
        Assert.Contains("Stopped after draining and committing", await child.StandardError);
        Assert.Equal(0, run.Lag());
    }

    [Fact]
    public async Task A_new_group_starting_at_the_latest_records_of_an_empty_topic_is_ready_before_any_record_and_then_counts()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 2);
        var port = TestPorts.Free(1)[0];
        // No commit and start-from = latest: where each partition starts only its first record tells, nothing to rebuild.
        using var child = ChildProcessor.Start(run, ["--http-port", $"{port}"], "actorvisits.processor.start-from = latest");
        await Eventually.HoldsAsync(() => child.Running && Status($"http://127.0.0.1:{port}/healthz/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(60),
            () => $"ready while the topic is empty ({ReadyBody(port)})");

        // Where "latest" was when the consumer first fetched is not observable here, so no recount: records count, and
        // the partitions that got them are rebuilt (from nothing) without readiness going back for good.
        InputStream.Generate(seed: 103, count: 200, urls: 5).Produce(kafka.Client, run.Settings.InputTopic);
        await Eventually.HoldsAsync(() => child.Running && Value(Http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult(), "actorvisits_visits_counted_total") > 0
                                           && Status($"http://127.0.0.1:{port}/healthz/ready") == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), () => $"visits counted, ready ({ReadyBody(port)})");
    }

    private static string ReadyBody(int port)
    {
        try
        {
            return Http.GetStringAsync($"http://127.0.0.1:{port}/healthz/ready").GetAwaiter().GetResult();
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    [Fact]
    public async Task A_processor_that_cannot_start_says_why_and_exits_1_instead_of_running_idle()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 2);
        // With repartition on, the start makes the repartition topic from the input's partitions: no input, no start.
        var missing = kafka.NewGroup("no-such-topic");
        using var child = ChildProcessor.Start(run, [], $"actorvisits.processor {{ repartition = on, input-topic = \"{missing}\" }}");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(60), "the process exits");
        var log = await child.StandardError;
        Assert.True(child.ExitCode == 1, $"exit code {child.ExitCode}: {log}");
        Assert.Contains("Could not start the processor", log);
        Assert.Contains($"Topic '{missing}' does not exist", log);
    }

    [Fact]
    public async Task A_processor_whose_http_port_is_taken_drains_and_leaves_its_group_before_exiting_2()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 2);
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var child = ChildProcessor.Start(run, ["--http-port", $"{port}"]);
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(60), "the process exits");
        var log = await child.StandardError;
        Assert.True(child.ExitCode == 2, $"exit code {child.ExitCode}: {log}");
        Assert.Contains("Cannot listen for HTTP", log);
        Assert.Contains("Stopped after draining and committing", log);
    }

    [Fact]
    public async Task A_cluster_node_that_cannot_join_is_alive_but_not_ready_and_says_why()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 2);
        var ports = TestPorts.Free(3);
        // Its only seed is another address where nobody listens: it can never become an Up member.
        using var child = ChildProcessor.Start(run, ["--cluster", "--hostname", "127.0.0.1", "--port", $"{ports[0]}", "--seed", $"127.0.0.1:{ports[1]}", "--http-port", $"{ports[2]}"]);
        await Eventually.HoldsAsync(() => child.Running && Status($"http://127.0.0.1:{ports[2]}/healthz/live") == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "alive");

        var ready = await Http.GetAsync($"http://127.0.0.1:{ports[2]}/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not Up", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Http.GetAsync($"http://127.0.0.1:{ports[2]}/urls/store")).StatusCode);
    }

    [Fact]
    public async Task Json_log_lines_at_debug_level_never_hold_a_secret_property_value()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 2);
        TestRecords.ProduceVisits(kafka.Client, run.Settings.InputTopic, 200);
        const string canary = "CANARY-6f1d2c7e-never-log-me";
        var secrets = new[] { "sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret" };

        using var child = ChildProcessor.Start(run, [
            "--log-format", "json", "--log-level", "debug",
            "-X", "debug=generic,broker,security,conf", .. secrets.SelectMany(s => new[] { "-X", $"{s}={canary}" }),
        ]);
        await Eventually.HoldsAsync(() => child.Running && run.Lag() == 0, TimeSpan.FromSeconds(60), () => $"caught up (lag {run.Lag()})");
        child.Signal("TERM");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(20), "exit after SIGTERM");

        var printed = await child.DiagnosticsAsync();
        Assert.DoesNotContain(canary, printed);
        var lines = (await child.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 50, "debug logging wrote many lines");
        // Every line is one JSON object; the program's, librdkafka's and Akka's lines are all there.
        var categories = lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("Category").GetString()).ToHashSet();
        Assert.Contains(categories, c => c == "librdkafka");
        Assert.Contains(categories, c => c!.StartsWith("ActorVisits.", StringComparison.Ordinal));
        Assert.Contains(categories, c => c!.StartsWith("Akka.", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Stopped after draining and committing", StringComparison.Ordinal));
    }

    private static HttpStatusCode? Status(string url)
    {
        try
        {
            return Http.GetAsync(url).GetAwaiter().GetResult().StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The value of one sample (name with its labels) in the Prometheus text format.</summary>
    private static double Value(string metrics, string sample)
    {
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException($"{sample} is not in /metrics");
        return double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<double> Lags(string metrics) =>
        LagPattern().Matches(metrics).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    [GeneratedRegex(@"^actorvisits_consumer_lag_records\{[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex LagPattern();
}
