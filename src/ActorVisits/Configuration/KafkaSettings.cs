using ActorVisits.Kafka.Settings;
using Confluent.Kafka;

namespace ActorVisits.Configuration;

/// <summary>The <c>actorvisits.kafka</c> section: how every client of the host connects, and the bounds of its stages.</summary>
public sealed record KafkaSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string> ClientProperties,
    TimeSpan PollTimeout,
    int MaxBufferedRecords,
    TimeSpan FetchWaitMax,
    int MaxInFlightRecords,
    TimeSpan FlushTimeout,
    CommitterSettings Committer,
    TimeSpan OutageTolerance)
{
    public const string Section = "actorvisits.kafka";

    public static KafkaSettings FromConfig(Akka.Configuration.Config config)
    {
        var kafka = new ConfigReader(config, Section);
        var consumer = kafka.Section("consumer");
        var producer = kafka.Section("producer");
        var committer = kafka.Section("committer");
        return new KafkaSettings(
            kafka.String("bootstrap-servers"),
            kafka.StringMap("client-properties"),
            consumer.PositiveDuration("poll-timeout"),
            consumer.PositiveInt("max-buffered-records"),
            consumer.PositiveDuration("fetch-wait-max"),
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
        Kafka.Settings.ClientProperties.Create(BootstrapServers, ClientProperties);

    public ConsumerSettings<TKey, TValue> Consumer<TKey, TValue>(string groupId, IDeserializer<TKey> keys, IDeserializer<TValue> values)
    {
        var settings = ConsumerSettings<TKey, TValue>.Create(Client(), groupId, keys, values) with
        {
            PollTimeout = PollTimeout,
            MaxBufferedRecords = MaxBufferedRecords,
            CommitRetryFor = OutageTolerance,
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
            Parallelism = MaxInFlightRecords,
            FlushTimeout = FlushTimeout,
        };
        // A message.timeout.ms given as a client property (-X) wins over the configuration key.
        if (!ClientProperties.ContainsKey("message.timeout.ms") && !ClientProperties.ContainsKey("delivery.timeout.ms"))
            settings.Config.MessageTimeoutMs = (int)OutageTolerance.TotalMilliseconds;
        return settings;
    }
}
