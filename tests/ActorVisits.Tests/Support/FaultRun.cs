using Confluent.Kafka;
using ActorVisits.Kafka.Embedded;
using Xunit.Abstractions;

namespace ActorVisits.Tests.Support;

/// <summary>
/// `actorvisits process` children on live traffic against an embedded cluster of their own, whose brokers a test
/// faults without disturbing other tests; measures what a fault costs (duplicates, catch-up time, peak memory) and
/// reports it as a line of the fault matrix (docs/reliability.md).
/// </summary>
public sealed class FaultRun : IAsyncDisposable
{
    private readonly List<ChildProcessor> _children = [];
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampling;
    private long _peakResidentBytes;

    private FaultRun(EmbeddedKafkaFixture kafka, ProcessorRun run, InputStream input)
    {
        Kafka = kafka;
        Run = run;
        Input = input;
        _sampling = SampleMemoryAsync();
    }

    public EmbeddedKafkaFixture Kafka { get; }

    public EmbeddedKafka Broker => Kafka.Broker;

    public ProcessorRun Run { get; }

    public InputStream Input { get; }

    /// <summary>The largest peak resident memory of any child so far.</summary>
    public long PeakResidentBytes => Interlocked.Read(ref _peakResidentBytes);

    /// <summary>
    /// A 3-broker cluster with the run's topics, and <paramref name="count"/> records of input to produce; the brokers
    /// advertise <paramref name="advertiseHost"/> when given (see <see cref="EmbeddedKafka.Start"/>).
    /// </summary>
    public static async Task<FaultRun> CreateAsync(int partitions, int seed, int count, int urls = 40, string? advertiseHost = null)
    {
        var kafka = EmbeddedKafkaFixture.Advertising(advertiseHost);
        await kafka.InitializeAsync();
        var run = await ProcessorRun.CreateAsync(kafka, partitions);
        return new FaultRun(kafka, run, InputStream.Generate(seed, count, urls));
    }

    /// <summary>Produces the input as live traffic in the background; completes with each URL's partition.</summary>
    public Task<Dictionary<string, int>> ProduceAsync(int perSecond) => Task.Run(() => Input.Produce(Kafka.Client, Run.Settings.InputTopic, perSecond));

    public ChildProcessor Start(string[] arguments, string extraConfig = "") => Track(ChildProcessor.Start(Run, arguments, extraConfig));

    /// <summary>A child started otherwise (a cluster node), whose memory is sampled and which is killed at the end.</summary>
    public ChildProcessor Track(ChildProcessor child)
    {
        lock (_children)
            _children.Add(child);
        return child;
    }

    /// <summary>Records written to the input so far (its end offsets, summed).</summary>
    public long InputEnd()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return Kafka.Broker.DescribeGroupOffsetsAsync(Run.Settings.GroupId, Run.Settings.InputTopic, CancellationToken.None)
                    .GetAwaiter().GetResult().Sum(p => p.End);
            }
            catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_TimedOut && DateTime.UtcNow < deadline)
            {
                // Right after leaders moved, the reading admin's metadata request can time out once (each try waits its
                // own request time-out); the question is asked again, the processor under test is not involved.
            }
        }
    }

    /// <summary>
    /// How long, from now, until the group has committed <paramref name="target"/> input records (all those written
    /// when a fault ended, say), while <paramref name="running"/> holds.
    /// </summary>
    public async Task<TimeSpan> CatchUpAsync(long target, Func<bool> running, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => running() && Run.Committed() >= target, within, () => $"the group committed {target} records (committed {Run.Committed()})");
        return clock.Elapsed;
    }

    /// <summary>One line of the fault matrix: what the run lost (none: the recount held), duplicated, took to catch up, and held in memory.</summary>
    public string Report(string fault, TimeSpan catchUp)
    {
        var (duplicates, all) = FinalCounts.Duplicates(Kafka, Run);
        return $"FAULT-MATRIX | {fault} | visits {Input.Valid.Count:N0} | lost 0 | duplicate updates {duplicates:N0} of {all:N0} " +
               $"({100.0 * duplicates / Math.Max(1, all):0.00} %) | catch-up {catchUp.TotalSeconds:0.0} s | peak RSS {PeakResidentBytes / (1024 * 1024):N0} MB";
    }

    /// <summary>Where the duplicates come from: per input partition and pair of generations, how many and over which offsets.</summary>
    public string DuplicateSources()
    {
        var lines = new List<string>();
        foreach (var window in Run.Settings.Windows.Windows.Take(1))
        {
            var updates = FinalCounts.Read(Kafka, window.Topic);
            foreach (var group in updates.GroupBy(u => (u.Url, u.InputPartition, u.Version.InputOffset, u.Version.WindowEnd)).Where(g => g.Count() > 1)
                         .GroupBy(g => (g.Key.InputPartition, string.Join("/", g.Select(u => u.Version.Generation)))))
                lines.Add($"p{group.Key.InputPartition} gens {group.Key.Item2}: {group.Count()} keys, offsets {group.Min(g => g.Key.InputOffset)}..{group.Max(g => g.Key.InputOffset)}");
        }
        return string.Join("\n", lines);
    }

    /// <summary>Writes <see cref="Report"/> to the test's output (shown with --logger "console;verbosity=detailed").</summary>
    public void Report(ITestOutputHelper output, string fault, TimeSpan catchUp)
    {
        output.WriteLine(Report(fault, catchUp));
        output.WriteLine(DuplicateSources());
    }

    private async Task SampleMemoryAsync()
    {
        while (!_stopSampling.IsCancellationRequested)
        {
            List<ChildProcessor> children;
            lock (_children)
                children = _children.Where(c => !c.HasExited).ToList();
            foreach (var child in children)
            {
                var peak = child.PeakResidentBytes();
                if (peak > Interlocked.Read(ref _peakResidentBytes))
                    Interlocked.Exchange(ref _peakResidentBytes, peak);
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _stopSampling.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSampling.CancelAsync();
        await _sampling;
        lock (_children)
        {
            foreach (var child in _children)
                child.Dispose();
        }
        await Kafka.DisposeAsync();
        _stopSampling.Dispose();
    }
}
