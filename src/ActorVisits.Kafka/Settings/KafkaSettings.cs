using Config = Akka.Configuration.Config;
using ConfigurationFactory = Akka.Configuration.ConfigurationFactory;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Settings;

/// <summary>
/// The <c>actorvisits.kafka</c> section: how every client connects, and the bounds of the stages, each named for what
/// it counts. Defaults come from this library's reference configuration (<c>reference.conf</c>), over which an
/// application's configuration is read.
/// </summary>
public sealed record KafkaSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string> ClientProperties,
    TimeSpan PollTimeout,
    int MaxBufferedRecords,
    int MaxBufferedBytes,
    TimeSpan PauseWhenFullFor,
    TimeSpan FetchWaitMax,
    TimeSpan RevokeDrainTimeout,
    TimeSpan CloseCommitTimeout,
    int MaxInFlightRecords,
    TimeSpan FlushTimeout,
    CommitterSettings Committer,
    TimeSpan OutageTolerance)
{
    public const string Section = "actorvisits.kafka";
    private const string ReferenceResource = "ActorVisits.Kafka.reference.conf";

    /// <summary>This library's reference configuration: every key of <c>actorvisits.kafka</c> with its default.</summary>
    public static Config Reference { get; } = ConfigurationFactory.ParseString(ReadReference());

    /// <summary>The settings of <paramref name="config"/> (falling back to <see cref="Reference"/>); throws <see cref="InvalidConfigurationException"/> naming a key that cannot be used.</summary>
    public static KafkaSettings FromConfig(Config config)
    {
        var kafka = new ConfigReader(config.WithFallback(Reference), Section);
        var consumer = kafka.Section("consumer");
        var producer = kafka.Section("producer");
        var committer = kafka.Section("committer");
        var clientProperties = kafka.StringMap("client-properties");
        Settings.ClientProperties.Validate(clientProperties, key => $"Configuration key '{Section}.client-properties.\"{key}\"'");
        return new KafkaSettings(
            kafka.String("bootstrap-servers"),
            clientProperties,
            consumer.PositiveDuration("poll-timeout"),
            consumer.PositiveInt("max-buffered-records"),
            consumer.PositiveInt("max-buffered-bytes"),
            consumer.PositiveDuration("pause-when-full-for"),
            consumer.PositiveDuration("fetch-wait-max"),
            consumer.PositiveDuration("revoke-drain-timeout"),
            consumer.PositiveDuration("close-commit-timeout"),
            producer.PositiveInt("max-in-flight-records"),
            producer.PositiveDuration("flush-timeout"),
            new CommitterSettings
            {
                MaxBatch = committer.PositiveInt("max-batch"),
                MaxInterval = committer.PositiveDuration("max-interval"),
                Parallelism = committer.PositiveInt("parallelism"),
            },
            kafka.PositiveDuration("outage-tolerance"));
    }

    /// <summary>The base configuration of every client: bootstrap servers plus the pass-through properties.</summary>
    public ClientConfig Client() =>
        Settings.ClientProperties.Create(BootstrapServers, ClientProperties);

    public ConsumerSettings<TKey, TValue> Consumer<TKey, TValue>(string groupId, IDeserializer<TKey> keys, IDeserializer<TValue> values)
    {
        var settings = ConsumerSettings<TKey, TValue>.Create(Client(), groupId, keys, values) with
        {
            PollTimeout = PollTimeout,
            MaxBufferedRecords = MaxBufferedRecords,
            MaxBufferedBytes = MaxBufferedBytes,
            PauseWhenFullFor = PauseWhenFullFor,
            CommitRetryFor = OutageTolerance,
            RevokeDrainTimeout = RevokeDrainTimeout,
            CloseCommitTimeout = CloseCommitTimeout,
        };
        // A fetch.wait.max.ms given as a client property (-X) wins over the configuration key.
        if (!ClientProperties.ContainsKey("fetch.wait.max.ms"))
            settings.Config.FetchWaitMaxMs = (int)FetchWaitMax.TotalMilliseconds;
        return settings;
    }

    public ProducerSettings<TKey, TValue> Producer<TKey, TValue>(ISerializer<TKey> keys, ISerializer<TValue> values)
    {
        var settings = ProducerSettings<TKey, TValue>.Create(Client(), keys, values) with
        {
            MaxInFlightRecords = MaxInFlightRecords,
            FlushTimeout = FlushTimeout,
        };
        // A message.timeout.ms given as a client property (-X) wins over the configuration key.
        if (!ClientProperties.ContainsKey("message.timeout.ms") && !ClientProperties.ContainsKey("delivery.timeout.ms"))
            settings.Config.MessageTimeoutMs = (int)OutageTolerance.TotalMilliseconds;
        return settings;
    }

    private static string ReadReference()
    {
        using var stream = typeof(KafkaSettings).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"The reference configuration '{ReferenceResource}' is not embedded in ActorVisits.Kafka.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
