using ActorVisits.Kafka.Settings;
using ActorVisits.Kafka.Embedded;
using System.CommandLine;
using ActorVisits.Benchmarking;
using ActorVisits.Configuration;
using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;
using Akka.Actor;

namespace ActorVisits.Commands;

/// <summary>Measures the processor on the embedded broker against the raw client ceiling, in one run (docs/benchmarks.md).</summary>
internal static class BenchCommand
{
    private static readonly string[] AllParts = ["plain", "processor", "rebuild", "race", "state"];

    public static Command Create()
    {
        var rates = new Option<int[]>("--rates")
        {
            Description = "Offered visit rates to try, in increasing order (visits/s), for the plain clients and then the processor; each search stops at the first rate not sustained, " +
                          "then tries once the rate halfway between it and the highest sustained (rounded to 1,000).",
            DefaultValueFactory = _ => [10_000, 20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 140_000],
            AllowMultipleArgumentsPerToken = true,
        };
        rates.Validators.Add(result =>
        {
            if (RateSearch.Invalid(result.GetValueOrDefault<int[]>() ?? []) is { } error)
                result.AddError(error);
        });
        var duration = Durations.Option("--step", "How long each rate is offered (e.g. 30s). Default: 20s.");
        var partitions = new Option<int>("--partitions") { Description = "Partitions of every topic.", DefaultValueFactory = _ => 6 }.AtLeast(1);
        var urls = new Option<int>("--urls") { Description = "Catalogue pages the generator visits (Zipf-popular).", DefaultValueFactory = _ => 10_000 }.AtLeast(1);
        var ceilingVisits = new Option<int>("--ceiling-visits") { Description = "Visits consumed by each drained-topic ceiling run.", DefaultValueFactory = _ => 60_000 }.AtLeast(1);
        var rebuildVisits = new Option<int>("--rebuild-visits") { Description = "Visits written to a topic, then replayed three times to measure how fast windows are rebuilt (the median is reported).", DefaultValueFactory = _ => 300_000 }.AtLeast(1);
        var stateUrls = new Option<int>("--state-urls") { Description = "Active URLs created to measure the state held per URL.", DefaultValueFactory = _ => 200_000 }.AtLeast(1);
        var lingerMs = new Option<int?>("--linger-ms")
        {
            Description = "linger.ms of every producer of the run (generator, processor, plain clients); default: the configuration's (5). 1 favours latency.",
        };
        var properties = new Option<string[]>("--property", "-X")
        {
            Description = "A librdkafka property for every client of the run (generator, processor, plain clients), key=value, repeatable " +
                          "(e.g. -X socket.nagle.disable=true). Applied after --linger-ms; acks, idempotence and bootstrap servers stay the run's own.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var raceVisits = new Option<int>("--race-visits")
        {
            Description = "Visits replayed by the naive consume-count-produce loop and by the processor, on the same filled topic.",
            DefaultValueFactory = _ => 150_000,
        };
        var parts = new Option<string[]>("--parts")
        {
            Description = "Parts to run, any of: plain (the plain clients' ceilings), processor (the rate search), rebuild, race (the naive loop), state. Default: all.",
            DefaultValueFactory = _ => [.. AllParts],
            AllowMultipleArgumentsPerToken = true,
        };
        parts.Validators.Add(result =>
        {
            foreach (var part in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!AllParts.Contains(part))
                    result.AddError($"--parts: unknown part '{part}'; the parts are {string.Join(", ", AllParts)}.");
            }
        });
        var allocationTypes = new Option<int>("--allocation-types")
        {
            Description = "After each processor step, the N types allocated most during it (the runtime's allocation sampling, about one sample per 100 KB). 0: none.",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("bench",
            "Benchmark on the embedded broker: the plain Confluent.Kafka ceiling (consume + 3 acks=all produces per visit) on a drained topic and at " +
            "steady live rates, the highest steady " +
            "visit rate the processor sustains with latency percentiles, how fast windows are rebuilt by replay, and the memory held per active URL.")
        {
            rates, duration, partitions, urls, ceilingVisits, rebuildVisits, stateUrls, raceVisits, lingerMs, properties, parts, allocationTypes,
        };
        command.SetAction(async (parse, stopping) =>
        {
            var step = parse.GetValue(duration) ?? TimeSpan.FromSeconds(20);
            var run = parse.GetValue(parts)!.ToHashSet(StringComparer.Ordinal);
            var topTypes = parse.GetValue(allocationTypes);
            using var sampler = topTypes > 0 ? new AllocationSampler() : null;
            // Listening from the start: the runtime's GC events say where each step's pauses go.
            _ = GcPauseLog.Instance;
            var partitionCount = parse.GetValue(partitions);
            // Checked before the brokers start: a bad pair fails at once, naming the flag, as in the other commands.
            var extra = BenchProperties(parse.GetValue(properties) ?? []);
            await using var cluster = EmbeddedKafka.Start(brokers: 3);
            // The embedded broker holds a fetch for fetch.wait.max.ms (500 ms by default) even while records are arriving,
            // where a real broker answers as soon as fetch.min.bytes (1) is there: measured at 10,000 visits/s, p50 latency
            // 300 ms with the default, 17 ms at 10 ms, 13 ms at 2 ms.
            var kafka = KafkaSettings.FromConfig(HostConfig.Reference) with
            {
                BootstrapServers = cluster.BootstrapServers,
                FetchWaitMax = TimeSpan.FromMilliseconds(2),
            };
            // --linger-ms, then -X on top, over the configuration's client properties.
            var merged = new Dictionary<string, string>(kafka.ClientProperties);
            if (parse.GetValue(lingerMs) is { } linger)
                merged["linger.ms"] = linger.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (key, value) in extra)
                merged[key] = value;
            kafka = kafka with { ClientProperties = merged };
            var defaults = ProcessorSettings.FromConfig(HostConfig.Reference);
            using var system = ActorSystem.Create("actorvisits-bench", HostConfig.Reference);
            Console.WriteLine($"Embedded Kafka, 3 brokers, {partitionCount} partitions, {Environment.ProcessorCount} cores, steps of {step.TotalSeconds:N0} s after {SustainedRate.Settling.TotalSeconds:N0} s settling; windows " +
                              string.Join(", ", defaults.Windows.Windows.Select(w => w.Name)) + ", every update produced with acks=all; " +
                              $"consumers with fetch.wait.max.ms={kafka.Consumer("bench", Confluent.Kafka.Deserializers.ByteArray, Confluent.Kafka.Deserializers.ByteArray).Config.Get("fetch.wait.max.ms")}; " +
                              $"producers (generator, processor, plain clients) with linger.ms={EffectiveLingerMs(kafka)}" +
                              (extra.Count == 0 ? "." : "; every client with " + string.Join(", ", ClientProperties.Describe(extra)) + "."));
            var gen0Size = Environment.GetEnvironmentVariable("DOTNET_GCgen0size");
            var datas = RuntimeSetting("GCDynamicAdaptationMode", "System.GC.DynamicAdaptationMode");
            Console.WriteLine($"allocated = GC.GetTotalAllocatedBytes over the step / visits processed, the generator's (same process) included; {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC" +
                              (datas == "0" ? " without DATAS" : ", DATAS") +
                              (gen0Size is null ? "" : $", DOTNET_GCgen0size={gen0Size}") + ".");
            var spin = RuntimeSetting("ThreadPool_UnfairSemaphoreSpinLimit", "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit");
            Console.WriteLine($"thread pool: idle workers spin {(spin is null ? "(runtime default)" : spin)} times before blocking.");
            Console.WriteLine("CPU = the whole process's CPU time over the step (brokers, generator, GC included) / visits processed.");

            var offered = parse.GetValue(rates)!;
            var drainedCeiling = double.NaN;
            if (run.Contains("plain"))
            {
                // One drained-topic run lasts about a second and varies a lot between runs on this machine: take the median of three.
                var drained = new List<double>();
                for (var attempt = 0; attempt < 3; attempt++)
                    drained.Add(await RawCeiling.DrainedVisitsPerSecondAsync(cluster, kafka, partitionCount, parse.GetValue(ceilingVisits), stopping));
                drained.Sort();
                drainedCeiling = drained[1];
                Console.WriteLine($"plain clients, drained topic: {drainedCeiling:N0} visits/s consumed (median of {string.Join(", ", drained.Select(c => c.ToString("N0")))}), " +
                                  $"each with 3 records produced (acks=all) = {3 * drainedCeiling:N0} records/s");
            }

            var generatorBytes = 0.0;
            if (run.Contains("processor"))
            {
                generatorBytes = await SustainedRate.GeneratorAllocatedBytesPerVisitAsync(cluster, kafka, partitionCount, parse.GetValue(urls), 20_000, stopping);
                Console.WriteLine($"generator alone at 20,000 visits/s: allocated {generatorBytes:N0} B/visit (subtracted below: 'own')");

                // JIT tiering and first allocations of the actor paths would otherwise land in the first step's percentiles.
                await SustainedRate.MeasureAsync(system, cluster, kafka, defaults, partitionCount, parse.GetValue(urls), 5_000, TimeSpan.FromSeconds(10), stopping);
                Console.WriteLine("processor warm-up: 10 s at 5,000 visits/s (not reported)");
            }

            // The plain clients and the processor take turns at each rate: this host's speed drifts over minutes, and a
            // ratio of two searches run one after the other measured the drift as much as the processor.
            RawRateResult? rawBest = null;
            SustainedRateResult? best = null;
            int? plainFailedAt = null, processorFailedAt = null;
            var plainSearching = run.Contains("plain");
            var processorSearching = run.Contains("processor");

            async Task<bool> PlainStepAsync(int rate)
            {
                var result = await RawCeiling.SustainedAsync(cluster, kafka, partitionCount, parse.GetValue(urls), rate, step, stopping);
                Console.WriteLine($"plain clients, offered {rate,7:N0}/s: processed {result.VisitsPerSecond,9:N0} visits/s, " +
                                  $"latency p50 {result.P50.TotalMilliseconds,6:N1} ms p99 {result.P99.TotalMilliseconds,7:N1} ms (p99 from read {result.ProcessingP99.TotalMilliseconds,7:N1} ms), " +
                                  $"lag at end {result.LagAtEnd:N0}, " +
                                  $"allocated {result.AllocatedBytesPerVisit:N0} B/visit, CPU {result.CpuMicrosecondsPerVisit:N1} µs/visit" +
                                  (result.Sustained ? "" : "  (not sustained)"));
                if (result.Sustained)
                    rawBest = result;
                else
                    plainFailedAt = rate;
                return result.Sustained;
            }

            async Task<bool> ProcessorStepAsync(int rate)
            {
                sampler?.TakeTop(0);
                sampler?.Enabled = true;
                var result = await SustainedRate.MeasureAsync(system, cluster, kafka, defaults, partitionCount, parse.GetValue(urls), rate, step, stopping);
                sampler?.Enabled = false;
                Console.WriteLine($"processor,     offered {rate,7:N0}/s: processed {result.VisitsPerSecond,9:N0} visits/s, {result.UpdatesPerSecond,9:N0} updates/s, " +
                                  $"latency p50 {result.P50.TotalMilliseconds,6:N1} ms p99 {result.P99.TotalMilliseconds,7:N1} ms max {result.Max.TotalMilliseconds,7:N0} ms " +
                                  $"(p99 from read {result.ProcessingP99.TotalMilliseconds,7:N1} ms), " +
                                  $"lag at end {result.LagAtEnd:N0}, GC pauses {result.GcPauses.TotalMilliseconds:N0} ms in {result.Gcs} GCs ({result.FullGcs} full{(result.GcPausesByKind.Length > 0 ? "; " + result.GcPausesByKind : "")}), " +
                                  $"allocated {result.AllocatedBytesPerVisit:N0} B/visit (own {result.AllocatedBytesPerVisit - generatorBytes:N0}), CPU {result.CpuMicrosecondsPerVisit:N1} µs/visit, " +
                                  $"consumer paused {result.ConsumerPauses} times (at most {result.MostBuffered:N0} records buffered)" +
                                  (result.Sustained ? "" : "  (not sustained)"));
                if (sampler is not null)
                {
                    foreach (var (type, share) in sampler.TakeTop(topTypes))
                        Console.WriteLine($"    {share,6:P1}  {type}");
                }
                if (result.Sustained)
                    best = result;
                else
                    processorFailedAt = rate;
                return result.Sustained;
            }

            foreach (var rate in offered)
            {
                if (!plainSearching && !processorSearching)
                    break;
                if (plainSearching)
                    plainSearching = await PlainStepAsync(rate);
                if (processorSearching)
                    processorSearching = await ProcessorStepAsync(rate);
            }
            // One more step halfway between the highest rate sustained and the first one not: the default grid's last
            // steps are 20,000 apart, which alone would move the ratio below in steps of a quarter.
            if (RateSearch.Halfway(rawBest?.Rate, plainFailedAt) is { } plainRefined)
                await PlainStepAsync(plainRefined);
            if (RateSearch.Halfway(best?.Rate, processorFailedAt) is { } processorRefined)
                await ProcessorStepAsync(processorRefined);
            if (best is not null)
            {
                var live = rawBest is null
                    ? "the plain clients sustained none of the rates (or were not run)"
                    : $"{(double)best.Rate / rawBest.Rate:P0} of the plain clients' {(rawBest.Rate == offered[^1] ? "at least " : "")}{rawBest.Rate:N0} visits/s under the same live load";
                Console.WriteLine($"highest sustained rate: {best.Rate:N0} visits/s = {live}" +
                                  (double.IsNaN(drainedCeiling) ? "" : $", {best.Rate / drainedCeiling:P0} of the drained-topic ceiling"));
            }

            // The replays run against brokers of their own: the rate search leaves the first ones holding every step's
            // topics (about 5 MB per partition each), which slowed the replays by a third or more in the runs of 2026-11-30.
            if (run.Contains("rebuild"))
            {
                await using var fresh = EmbeddedKafka.Start(brokers: 3);
                var replays = await RebuildSpeed.MeasureAsync(system, fresh, kafka with { BootstrapServers = fresh.BootstrapServers }, defaults, partitionCount,
                    parse.GetValue(urls), parse.GetValue(rebuildVisits), attempts: 3, stopping);
                // One replay lasts about half a second and varies as much as the drained ceiling: the median of three.
                var perHundredThousand = replays.Select(r => r.Took.TotalSeconds * 100_000 / r.Replayed).ToList();
                var median = perHundredThousand.Order().ElementAt(perHundredThousand.Count / 2);
                Console.WriteLine($"rebuild: {partitionCount} partitions replayed {replays[0].Replayed:N0} records in " +
                                  string.Join(" / ", replays.Select(r => $"{r.Took.TotalSeconds:N2}")) + " s = " +
                                  $"{median:N2} s per 100,000 records (median of " + string.Join(", ", perHundredThousand.Select(s => s.ToString("N2"))) + ")");
            }

            if (run.Contains("race"))
            {
                await using var fresh = EmbeddedKafka.Start(brokers: 3);
                var race = await ReplayRace.RunAsync(system, fresh, kafka with { BootstrapServers = fresh.BootstrapServers }, defaults, partitionCount,
                    parse.GetValue(urls), parse.GetValue(raceVisits), stopping);
                Console.WriteLine($"replay of {race.Visits:N0} visits: naive single-threaded loop {race.NaivePerSecond:N0} visits/s, processor {race.ProcessorPerSecond:N0} visits/s " +
                                  $"= {race.ProcessorPerSecond / race.NaivePerSecond:N1} x");
            }

            if (run.Contains("state"))
            {
                var perUrl = await StateFootprint.BytesPerActiveUrlAsync(system, parse.GetValue(stateUrls), stopping);
                Console.WriteLine($"state per active URL (actor, ring buffer, sums, index entry, URL string): {perUrl:N0} bytes; " +
                                  $"1,000,000 active URLs: {perUrl * 1_000_000 / (1024.0 * 1024 * 1024):N2} GiB");
            }
            await system.Terminate();
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Properties <c>bench</c> does not let <c>-X</c> change: every producer of the run is set to acks=all with idempotence
    /// whatever the properties say (<see cref="ProducerSettings{TKey,TValue}"/>), and the embedded brokers' address is the run's own.
    /// </summary>
    private static readonly HashSet<string> FixedProperties = new(StringComparer.Ordinal)
    {
        "acks", "request.required.acks", "enable.idempotence", "bootstrap.servers", "metadata.broker.list",
    };

    /// <summary>The <c>-X</c> pairs, parsed and checked by librdkafka; throws <see cref="InvalidConfigurationException"/> naming the flag.</summary>
    internal static List<KeyValuePair<string, string>> BenchProperties(IEnumerable<string> pairs)
    {
        List<KeyValuePair<string, string>> parsed;
        try
        {
            parsed = ClientProperties.Parse(pairs).ToList();
        }
        catch (ArgumentException e)
        {
            throw new InvalidConfigurationException($"--property: {e.Message}", e);
        }
        if (parsed.FirstOrDefault(p => FixedProperties.Contains(p.Key)) is { Key: not null } fixedOne)
            throw new InvalidConfigurationException($"--property {fixedOne.Key}: bench measures every producer with acks=all and idempotence on its own embedded brokers; this property cannot be changed here.");
        ClientProperties.Validate(parsed, key => $"--property {key}");
        return parsed;
    }

    /// <summary>The producers' linger as librdkafka takes it: <c>linger.ms</c>, or its alias <c>queue.buffering.max.ms</c>.</summary>
    private static string EffectiveLingerMs(KafkaSettings kafka)
    {
        var config = kafka.Producer(Confluent.Kafka.Serializers.ByteArray, Confluent.Kafka.Serializers.ByteArray).Config;
        return config.Get("linger.ms") ?? config.Get("queue.buffering.max.ms") ?? "5 (librdkafka's default)";
    }

    /// <summary>
    /// A runtime setting as the runtime resolves it: its <c>DOTNET_</c> environment variable overrides the value the
    /// project writes into <c>runtimeconfig.json</c>; null when neither sets it.
    /// </summary>
    private static string? RuntimeSetting(string environmentName, string runtimeConfigName) =>
        Environment.GetEnvironmentVariable("DOTNET_" + environmentName) ?? AppContext.GetData(runtimeConfigName)?.ToString();
}
