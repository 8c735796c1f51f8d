using ActorVisits.Kafka.Native;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Cluster;

/// <summary>
/// A Kafka-protocol cluster inside this process (librdkafka's mock cluster) that any client can reach over loopback TCP.
/// In memory: each partition keeps about 5 MB (older records are deleted, as with <c>retention.bytes</c>) and nothing
/// survives the process. Topic creation goes through the mock's own API; group operations through the wire.
/// </summary>
public sealed class EmbeddedKafkaCluster : IKafkaCluster
{

    private readonly MockCluster _mock;
    private readonly KafkaCluster _wire;
    private readonly BootstrapProxy? _proxy;

    private EmbeddedKafkaCluster(MockCluster mock, BootstrapProxy? proxy)
    {
        _mock = mock;
        _proxy = proxy;
        BootstrapServers = proxy?.Address ?? mock.BootstrapServers;
        _wire = new KafkaCluster(new ClientConfig { BootstrapServers = BootstrapServers });
    }

    /// <summary>
    /// Starts <paramref name="brokers"/> brokers. With a <paramref name="port"/>, a bootstrap listener on that loopback
    /// port forwards to the first broker (the mock's own brokers bind random ports; clients learn them from metadata).
    /// </summary>
    public static EmbeddedKafkaCluster Start(int brokers = 3, int? port = null)
    {
        var mock = new MockCluster(brokers);
        try
        {
            var proxy = port is { } fixedPort ? BootstrapProxy.Start(fixedPort, mock.BootstrapServers.Split(',')[0]) : null;
            return new EmbeddedKafkaCluster(mock, proxy);
        }
        catch
        {
            mock.Dispose();
            throw;
        }
    }

    public string BootstrapServers { get; }

    /// <summary>Every broker's own address, bypassing the bootstrap listener.</summary>
    public string BrokerAddresses => _mock.BootstrapServers;

    public int BrokerCount => _mock.BrokerCount;

    public Task EnsureTopicsAsync(IReadOnlyCollection<TopicSpec> topics, CancellationToken cancellationToken)
    {
        foreach (var topic in topics)
        {
            try
            {
                _mock.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);
            }
            catch (InvalidOperationException) when (TopicExists(topic.Name))
            {
            }
        }
        return Task.CompletedTask;
    }

    private bool TopicExists(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BrokerAddresses }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Any(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError);
    }

    public Task<IReadOnlyList<PartitionLag>> DescribeGroupOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken) =>
        _wire.DescribeGroupOffsetsAsync(groupId, topic, cancellationToken);

    public Task<IReadOnlyList<TopicPartitionOffset>> ResetGroupOffsetsAsync(
        string groupId, string topic, OffsetTarget target, CancellationToken cancellationToken) =>
        _wire.ResetGroupOffsetsAsync(groupId, topic, target, cancellationToken);

    /// <summary>Fault injection: broker <paramref name="brokerId"/> (1-based) drops its connections and refuses new ones.</summary>
    public void SetBrokerDown(int brokerId) => _mock.SetBrokerDown(brokerId);

    public void SetBrokerUp(int brokerId) => _mock.SetBrokerUp(brokerId);

    public async ValueTask DisposeAsync()
    {
        await _wire.DisposeAsync();
        if (_proxy is not null)
            await _proxy.DisposeAsync();
        _mock.Dispose();
    }

}
