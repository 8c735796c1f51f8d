using ActorVisits.Kafka.Cluster;
using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>One embedded 3-broker cluster shared by the Kafka tests; each test makes its own topics and groups.</summary>
public sealed class EmbeddedKafkaFixture : IAsyncLifetime
{
    private int _sequence;

    public EmbeddedKafkaCluster Cluster { get; private set; } = null!;

    public ClientConfig Client => new() { BootstrapServers = Cluster.BootstrapServers };

    public Task InitializeAsync()
    {
        Cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public async Task<string> NewTopicAsync(int partitions, string purpose = "t")
    {
        var name = UniqueName(purpose);
        await Cluster.EnsureTopicsAsync([new TopicSpec(name, partitions, ReplicationFactor: 3)], CancellationToken.None);
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
