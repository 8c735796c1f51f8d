using ActorVisits.Kafka.Settings;
using ActorVisits.Configuration;
using ActorVisits.Entities.Windows;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>What the processor does with a record whose handling throws unexpectedly (not a bad record: a bug, or a case no rule foresaw).</summary>
public enum RecordErrorPolicy
{
    /// <summary>The record goes to the dead-letter topic with reason <c>internal-error</c>, and processing goes on.</summary>
    DeadLetter,

    /// <summary>The stream stops (exit code 1); nothing from that record on is committed.</summary>
    Stop,
}

/// <summary>The <c>actorvisits.processor</c> section: what the windowed processor reads, counts and writes.</summary>
public sealed record ProcessorSettings(
    string GroupId,
    string InputTopic,
    string DeadLetterTopic,
    WindowSet Windows,
    TimeSpan MaxFutureSkew,
    TimeSpan IdleAdvance,
    TimeSpan TickInterval,
    TimeSpan AskTimeout,
    int Parallelism,
    int MaxBatch,
    bool Rebuild,
    TimeSpan RebuildMargin,
    AutoOffsetReset StartFrom,
    bool Repartition = false,
    string RepartitionTopic = ProcessorSettings.AutoRepartitionTopic,
    string? LateTopic = null,
    int MaxVisitBytes = 65_536,
    int DeadLetterMaxBytes = 1_000_000,
    RecordErrorPolicy OnRecordError = RecordErrorPolicy.DeadLetter,
    string? FailVisitsOfUrl = null,
    bool FromBeginning = false)
{
    public const string Section = "actorvisits.processor";

    /// <summary>The value of <c>late-topic</c> that keeps late visits out of any topic (counted only).</summary>
    public const string Off = "off";

    /// <summary>The value of <c>repartition-topic</c> that names the topic after the group and the input.</summary>
    public const string AutoRepartitionTopic = "auto";

    /// <summary>Where visits are counted from: the input itself, or the repartition topic that re-keys it by URL.</summary>
    public string CountingTopic => Repartition ? RepartitionTopicName : InputTopic;

    /// <summary>The group that counts: the processor's group on the input, or its own group on the repartition topic.</summary>
    public string CountingGroupId => Repartition ? $"{GroupId}.by-url" : GroupId;

    /// <summary>The repartition topic: <c>group-input-repartition</c> unless configured, as Kafka Streams names its internal topics.</summary>
    public string RepartitionTopicName => RepartitionTopic == AutoRepartitionTopic ? $"{GroupId}-{InputTopic}-repartition" : RepartitionTopic;

    public static ProcessorSettings FromConfig(Akka.Configuration.Config config)
    {
        var processor = new ConfigReader(config, Section);
        return new ProcessorSettings(
            processor.String("group-id"),
            processor.String("input-topic"),
            processor.String("dead-letter-topic"),
            ReadWindows(processor),
            processor.PositiveDuration("max-future-skew"),
            processor.PositiveDuration("idle-advance"),
            processor.PositiveDuration("tick-interval"),
            processor.PositiveDuration("ask-timeout"),
            processor.PositiveInt("parallelism"),
            processor.PositiveInt("max-batch"),
            processor.Boolean("rebuild"),
            processor.PositiveDuration("rebuild-margin"),
            processor.String("start-from") switch
            {
                "earliest" => AutoOffsetReset.Earliest,
                "latest" => AutoOffsetReset.Latest,
                var other => throw new InvalidConfigurationException($"Configuration key '{Section}.start-from' must be 'earliest' or 'latest' (got '{other}')."),
            },
            processor.Boolean("repartition"),
            processor.String("repartition-topic"),
            processor.String("late-topic") is var late && late == Off ? null : late,
            processor.PositiveInt("max-visit-bytes"),
            processor.PositiveInt("dead-letter-max-bytes"),
            processor.String("on-record-error") switch
            {
                "dead-letter" => RecordErrorPolicy.DeadLetter,
                "stop" => RecordErrorPolicy.Stop,
                var other => throw new InvalidConfigurationException($"Configuration key '{Section}.on-record-error' must be 'dead-letter' or 'stop' (got '{other}')."),
            },
            processor.OptionalString("fault-injection.fail-visits-of-url"));
    }

    /// <summary>The longest window taken: each active URL keeps a count per second of the longest window.</summary>
    private static readonly TimeSpan LongestWindow = TimeSpan.FromHours(1);

    /// <summary>Every entry of <c>windows</c>: its key is the window's name, with its length and output topic; shortest first.</summary>
    private static WindowSet ReadWindows(ConfigReader processor)
    {
        var names = processor.ObjectKeys("windows");
        if (names.Count == 0)
            throw new InvalidConfigurationException($"Configuration key '{Section}.windows' must hold at least one window.");
        var windows = names.Select(name =>
        {
            var window = processor.Section("windows").Section(name);
            var seconds = window.PositiveDuration("length");
            if (seconds.Ticks % TimeSpan.TicksPerSecond != 0)
                throw new InvalidConfigurationException($"Configuration key '{Section}.windows.{name}.length' must be whole seconds (got {seconds}).");
            // Each active URL keeps a slot per second of the longest window, and each partition a list per second.
            if (seconds > LongestWindow)
                throw new InvalidConfigurationException(
                    $"Configuration key '{Section}.windows.{name}.length' must be at most {LongestWindow.TotalHours:0} h (got {seconds}): each URL with visits keeps a count per second of the longest window.");
            return new WindowSpec(name, (int)seconds.TotalSeconds, window.String("topic"));
        }).OrderBy(w => w.Seconds).ToList();
        try
        {
            return new WindowSet(windows);
        }
        catch (ArgumentException e)
        {
            throw new InvalidConfigurationException($"Configuration key '{Section}.windows': {e.Message}", e);
        }
    }
}
