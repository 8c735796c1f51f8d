using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Embedded;

/// <summary>
/// Faults to inject into an <see cref="EmbeddedKafka"/> at set times, written as text a person can type:
/// <code>
/// at 10s: down 2 for 10s                       broker 2 refuses connections, then comes back
/// at 10s: failover 2 for 10s                   broker 2 down, and every partition it leads moved to another broker
/// at 0s: rtt 1 300ms for 30s                   broker 1 answers every request 300 ms late
/// at 5s: errors Fetch REQUEST_TIMED_OUT*5      the next 5 Fetch requests (any broker) fail so
/// at 5s: errors OffsetCommit NOT_COORDINATOR*2,COORDINATOR_NOT_AVAILABLE
/// at 20s: leader visits * next                 every partition of visits led by the next broker
/// at 20s: leader visits 3 1                    partition 3 of visits led by broker 1
/// at 0s: coordinator actorvisits 2             broker 2 coordinates group actorvisits
/// </code>
/// Steps are separated by new lines or <c>;</c>; times are from the start of the plan. Error names are Kafka's
/// (<c>NOT_ENOUGH_REPLICAS</c>) or Confluent.Kafka's (<c>NotEnoughReplicas</c>); request kinds are <see cref="KafkaRequest"/>.
/// </summary>
public sealed partial class FaultPlan
{
    private FaultPlan(IReadOnlyList<FaultStep> steps) => Steps = steps;

    public IReadOnlyList<FaultStep> Steps { get; }

    /// <summary>When the last fault ends, from the start of the plan.</summary>
    public TimeSpan Length => Steps.Count == 0 ? TimeSpan.Zero : Steps.Max(s => s.At + (s.For ?? TimeSpan.Zero));

    /// <summary>Parses a plan; throws <see cref="FormatException"/> naming the step at fault.</summary>
    public static FaultPlan Parse(string text)
    {
        var steps = new List<FaultStep>();
        foreach (var line in text.Split(['\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
                continue;
            var match = StepPattern().Match(line);
            if (!match.Success)
                throw new FormatException($"Fault step '{line}' is not of the form 'at <time>: <fault> [for <duration>]', e.g. 'at 10s: down 2 for 10s'.");
            var at = Duration(match.Groups["at"].Value, line);
            TimeSpan? lasting = match.Groups["for"].Success ? Duration(match.Groups["for"].Value, line) : null;
            steps.Add(new FaultStep(at, ParseFault(match.Groups["fault"].Value.Trim(), line), lasting));
        }
        foreach (var step in steps.Where(s => s.For is not null && s.Fault is not (Fault.Down or Fault.Failover or Fault.Rtt)))
            throw new FormatException($"Fault step '{step}': only down, failover and rtt last 'for' a time.");
        return new FaultPlan(steps.OrderBy(s => s.At).ToList());
    }

    private static Fault ParseFault(string text, string line)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Broker(int index) => index < words.Length && int.TryParse(words[index], NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new FormatException($"Fault step '{line}': '{(index < words.Length ? words[index] : "")}' is not a broker id (1, 2, ...).");
        return words[0] switch
        {
            "down" when words.Length == 2 => new Fault.Down(Broker(1)),
            "failover" when words.Length == 2 => new Fault.Failover(Broker(1)),
            "rtt" when words.Length == 3 => new Fault.Rtt(Broker(1), Duration(words[2], line)),
            "errors" when words.Length == 3 => new Fault.Errors(Request(words[1], line), Errors(words[2], line)),
            "leader" when words.Length == 4 => new Fault.Leader(words[1], words[2] == "*" ? null : PartitionNumber(words[2], line),
                words[3] == "next" ? null : Broker(3)),
            "coordinator" when words.Length == 3 => new Fault.Coordinator(words[1], Broker(2)),
            _ => throw new FormatException($"Fault step '{line}': unknown fault '{text}'. Faults: down B, failover B, rtt B <time>, " +
                                           "errors <Request> ERROR[*n][,ERROR[*n]], leader <topic> <partition|*> <broker|next>, coordinator <group> B."),
        };
    }

    private static int PartitionNumber(string text, string line) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            ? partition
            : throw new FormatException($"Fault step '{line}': '{text}' is not a partition number or '*'.");

    private static KafkaRequest Request(string text, string line) =>
        Enum.TryParse<KafkaRequest>(text, ignoreCase: true, out var request) && Enum.IsDefined(request)
            ? request
            : throw new FormatException($"Fault step '{line}': '{text}' is not a request kind ({string.Join(", ", Enum.GetNames<KafkaRequest>())}).");

    /// <summary>Kafka's current names where Confluent.Kafka keeps the older ones.</summary>
    private static readonly Dictionary<string, ErrorCode> KafkaNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["COORDINATOR_NOT_AVAILABLE"] = ErrorCode.GroupCoordinatorNotAvailable,
        ["NOT_COORDINATOR"] = ErrorCode.NotCoordinatorForGroup,
        ["COORDINATOR_LOAD_IN_PROGRESS"] = ErrorCode.GroupLoadInProgress,
        ["NOT_LEADER_OR_FOLLOWER"] = ErrorCode.NotLeaderForPartition,
        ["UNKNOWN_TOPIC_OR_PARTITION"] = ErrorCode.UnknownTopicOrPart,
    };

    /// <summary>The most times a step may repeat an error: each is held in memory until a request takes it.</summary>
    private const int MaxRepeats = 100_000;

    /// <summary>The longest a step's time or duration may be.</summary>
    private static readonly TimeSpan LongestDuration = TimeSpan.FromHours(24);

    /// <summary><c>ERROR[*n]</c>, comma separated, each repeated n times; an error is named as Kafka or Confluent.Kafka names it, or by its code.</summary>
    private static IReadOnlyList<ErrorCode> Errors(string text, string line)
    {
        var errors = new List<ErrorCode>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, times) = part.Split('*') is [var n, var t] && int.TryParse(t, out var count) && count > 0 ? (n, count) : (part, 1);
            var wanted = name.Replace("_", "", StringComparison.Ordinal);
            var known = Enum.GetNames<ErrorCode>().FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
            ErrorCode code;
            if (KafkaNames.TryGetValue(name, out var renamed))
                code = renamed;
            else if (known is not null)
                code = Enum.Parse<ErrorCode>(known);
            else if (int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                code = (ErrorCode)number;
            else
                throw new FormatException($"Fault step '{line}': '{part}' is not a Kafka error such as NOT_ENOUGH_REPLICAS or REQUEST_TIMED_OUT*5.");
            if (times > MaxRepeats)
                throw new FormatException($"Fault step '{line}': '{part}' repeats an error more than {MaxRepeats:N0} times.");
            errors.AddRange(Enumerable.Repeat(code, times));
        }
        return errors;
    }

    private static TimeSpan Duration(string text, string line)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success)
            throw new FormatException($"Fault step '{line}': '{text}' is not a duration such as 500ms, 10s or 2m.");
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var milliseconds = value * match.Groups[2].Value switch { "ms" => 1, "s" => 1_000, _ => 60_000 };
        if (milliseconds > LongestDuration.TotalMilliseconds)
            throw new FormatException($"Fault step '{line}': '{text}' is longer than a plan may last ({LongestDuration.TotalHours:0} h).");
        return TimeSpan.FromMilliseconds(milliseconds);
    }

    /// <summary>
    /// Why the plan cannot run against <paramref name="kafka"/> (a broker id it lacks, failing over its only broker, a
    /// topic or partition it does not hold), checked before the first step; null when it can.
    /// </summary>
    public string? CannotRunOn(EmbeddedKafka kafka)
    {
        foreach (var step in Steps)
        {
            var broker = step.Fault switch
            {
                Fault.Down down => down.Broker,
                Fault.Failover failover => failover.Broker,
                Fault.Rtt rtt => rtt.Broker,
                Fault.Coordinator coordinator => coordinator.Broker,
                Fault.Leader { Broker: { } leader } => leader,
                _ => 0,
            };
            if (broker > kafka.BrokerCount)
                return $"Fault step '{step}': there is no broker {broker} (brokers 1 to {kafka.BrokerCount}).";
            if (step.Fault is Fault.Failover && kafka.BrokerCount < 2)
                return $"Fault step '{step}': failing over needs at least two brokers.";
            if (step.Fault is Fault.Leader leaderStep)
            {
                IReadOnlyDictionary<int, int> leaders;
                try
                {
                    leaders = kafka.Leaders(leaderStep.Topic);
                }
                catch (KafkaException e)
                {
                    return $"Fault step '{step}': topic '{leaderStep.Topic}' cannot be read ({e.Error.Reason}).";
                }
                if (leaders.Count == 0)
                    return $"Fault step '{step}': there is no topic '{leaderStep.Topic}'.";
                if (leaderStep.Partition is { } partition && !leaders.ContainsKey(partition))
                    return $"Fault step '{step}': topic '{leaderStep.Topic}' has no partition {partition} (partitions 0 to {leaders.Count - 1}).";
            }
        }
        return null;
    }

    /// <summary><see cref="RunAsync"/>, saying through <paramref name="log"/> why the plan stopped if a step failed, rather than failing silently.</summary>
    public async Task RunReportingAsync(EmbeddedKafka kafka, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(kafka, log, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            log($"[fault] the plan stopped: {e.Message}");
        }
    }

    /// <summary>
    /// Carries the plan out on <paramref name="kafka"/>, saying each step as it happens on <paramref name="log"/>;
    /// returns once every fault has ended. Cancelled, it ends the faults in force (brokers up, round trips back to 0).
    /// </summary>
    public async Task RunAsync(EmbeddedKafka kafka, Action<string> log, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var endings = new List<(TimeSpan At, Action End, string What)>();
        void Say(string what) => log($"[fault t+{clock.Elapsed.TotalSeconds:0.0}s] {what}");
        try
        {
            foreach (var step in Steps)
            {
                await EndDueAsync(step.At);
                await WaitUntil(step.At);
                var end = Apply(kafka, step.Fault, Say);
                if (step.For is { } lasting && end is not null)
                    endings.Add((step.At + lasting, end, step.Fault.ToString()));
            }
            await EndDueAsync(TimeSpan.MaxValue);
        }
        finally
        {
            foreach (var (_, end, what) in endings)
            {
                end();
                Say($"ended: {what}");
            }
        }

        async Task EndDueAsync(TimeSpan before)
        {
            foreach (var ending in endings.Where(e => e.At <= before).OrderBy(e => e.At).ToList())
            {
                await WaitUntil(ending.At);
                ending.End();
                endings.Remove(ending);
                Say($"ended: {ending.What}");
            }
        }

        Task WaitUntil(TimeSpan at) => at > clock.Elapsed ? Task.Delay(at - clock.Elapsed, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Applies one fault; returns what ends it, for the faults that last.</summary>
    private static Action? Apply(EmbeddedKafka kafka, Fault fault, Action<string> say)
    {
        switch (fault)
        {
            case Fault.Down down:
                kafka.SetBrokerDown(down.Broker);
                say($"broker {down.Broker} down");
                return () => kafka.SetBrokerUp(down.Broker);
            case Fault.Failover failover:
                var moved = kafka.FailOver(failover.Broker);
                say($"broker {failover.Broker} down; {moved} partition leaders moved to the other brokers");
                return () => kafka.SetBrokerUp(failover.Broker);
            case Fault.Rtt rtt:
                kafka.SetBrokerRtt(rtt.Broker, rtt.Delay);
                say($"broker {rtt.Broker} answers {rtt.Delay.TotalMilliseconds:0} ms late");
                return () => kafka.SetBrokerRtt(rtt.Broker, TimeSpan.Zero);
            case Fault.Errors errors:
                kafka.FailRequests(errors.Request, errors.Codes);
                say($"the next {errors.Codes.Count} {errors.Request} requests fail: {string.Join(", ", errors.Codes)}");
                return null;
            case Fault.Leader leader:
                var leaders = kafka.Leaders(leader.Topic);
                foreach (var (partition, current) in leaders.Where(l => leader.Partition is null || l.Key == leader.Partition))
                {
                    var next = leader.Broker ?? current % kafka.BrokerCount + 1;
                    kafka.SetPartitionLeader(leader.Topic, partition, next);
                    say($"{leader.Topic}[{partition}] led by broker {next} (was {current})");
                }
                return null;
            case Fault.Coordinator coordinator:
                kafka.SetGroupCoordinator(coordinator.Group, coordinator.Broker);
                say($"broker {coordinator.Broker} coordinates group {coordinator.Group}");
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    public override string ToString() => string.Join("; ", Steps);

    [GeneratedRegex(@"^at\s+(?<at>\S+)\s*:\s*(?<fault>.+?)(\s+for\s+(?<for>\S+))?$")]
    private static partial Regex StepPattern();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(ms|s|m)$")]
    private static partial Regex DurationPattern();
}

/// <summary>One step of a <see cref="FaultPlan"/>: a fault applied at <paramref name="At"/>, ended after <paramref name="For"/> when it lasts.</summary>
public sealed record FaultStep(TimeSpan At, Fault Fault, TimeSpan? For)
{
    public override string ToString() => $"at {At.TotalSeconds:0.###}s: {Fault}" + (For is { } lasting ? $" for {lasting.TotalSeconds:0.###}s" : "");
}

/// <summary>A fault the embedded broker can inject.</summary>
public abstract record Fault
{
    private Fault()
    {
    }

    /// <summary>The broker drops its connections and refuses new ones; its partitions keep it as leader.</summary>
    public sealed record Down(int Broker) : Fault
    {
        public override string ToString() => $"down {Broker}";
    }

    /// <summary>The broker goes down and every partition it leads gets another leader, as a controller would decide.</summary>
    public sealed record Failover(int Broker) : Fault
    {
        public override string ToString() => $"failover {Broker}";
    }

    /// <summary>The broker answers every request <paramref name="Delay"/> late.</summary>
    public sealed record Rtt(int Broker, TimeSpan Delay) : Fault
    {
        public override string ToString() => $"rtt {Broker} {Delay.TotalMilliseconds:0}ms";
    }

    /// <summary>The next requests of <paramref name="Request"/> fail with <paramref name="Codes"/>, one each.</summary>
    public sealed record Errors(KafkaRequest Request, IReadOnlyList<ErrorCode> Codes) : Fault
    {
        public override string ToString() => $"errors {Request} {string.Join(",", Codes)}";
    }

    /// <summary>Leadership of one partition (or all: null) of a topic moves to a broker (or the next one: null).</summary>
    public sealed record Leader(string Topic, int? Partition, int? Broker) : Fault
    {
        public override string ToString() => $"leader {Topic} {(Partition is { } p ? p.ToString(CultureInfo.InvariantCulture) : "*")} {(Broker is { } b ? b.ToString(CultureInfo.InvariantCulture) : "next")}";
    }

    /// <summary>The broker coordinates the consumer group.</summary>
    public sealed record Coordinator(string Group, int Broker) : Fault
    {
        public override string ToString() => $"coordinator {Group} {Broker}";
    }
}
