using ActorVisits.Kafka.Embedded;
using ActorVisits.Kafka.Admin;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>One embedded 3-broker cluster shared by the Kafka tests; each test makes its own topics and groups.</summary>
public sealed class EmbeddedKafkaFixture : IAsyncLifetime
{
    private int _sequence;
    private string? _advertiseHost;

    /// <summary>A cluster whose brokers advertise <paramref name="host"/> (a bridge to network namespaces), not loopback.</summary>
    public static EmbeddedKafkaFixture Advertising(string? host) => new() { _advertiseHost = host };

    public EmbeddedKafka Broker { get; private set; } = null!;

    public ClientConfig Client => new() { BootstrapServers = Broker.BootstrapServers };

    public Task InitializeAsync()
    {
        // With an address to advertise (a bridge to network namespaces), a bootstrap port on it too, for clients that
        // name one broker as compose's do (kafka:PORT).
        Broker = _advertiseHost is null ? EmbeddedKafka.Start(brokers: 3) : EmbeddedKafka.Start(brokers: 3, port: 0, _advertiseHost);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Broker.DisposeAsync();

    public async Task<string> NewTopicAsync(int partitions, string purpose = "t")
    {
        var name = UniqueName(purpose);
        await Broker.EnsureTopicsAsync([new TopicSpec(name, partitions, ReplicationFactor: 3)], CancellationToken.None);
        return name;
    }

    public string NewGroup(string purpose = "g") => UniqueName(purpose);

    private string UniqueName(string purpose) => $"{purpose}-{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<EmbeddedKafkaFixture>
{
    public const string Name = "embedded kafka";
}
