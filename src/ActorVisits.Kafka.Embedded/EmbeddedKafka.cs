using ActorVisits.Kafka.Admin;
using ActorVisits.Kafka.Embedded.Native;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Embedded;

/// <summary>
/// A Kafka-protocol cluster inside this process (librdkafka's mock cluster) that any client can reach over loopback TCP.
/// In memory: each partition keeps about 5 MB (older records are deleted, as with <c>retention.bytes</c>) and nothing
/// survives the process. Topic creation goes through the mock's own API; group operations through the wire.
/// </summary>
public sealed class EmbeddedKafka : IKafkaAdmin
{

    private readonly MockCluster _mock;
    private readonly KafkaAdmin _wire;
    private readonly IReadOnlyList<TcpForwarder> _forwarders;

    private EmbeddedKafka(MockCluster mock, string bootstrapServers, IReadOnlyList<TcpForwarder> forwarders)
    {
        _mock = mock;
        _forwarders = forwarders;
        BootstrapServers = bootstrapServers;
        _wire = new KafkaAdmin(new ClientConfig { BootstrapServers = BootstrapServers });
    }

    /// <summary>
    /// Starts <paramref name="brokers"/> brokers. With a <paramref name="port"/>, a bootstrap listener on that port
    /// forwards to the first broker (the mock's own brokers bind random loopback ports; clients learn them from
    /// metadata). With <paramref name="advertiseHost"/> (an address of this machine, e.g. a bridge to network
    /// namespaces), each broker is also reached through a forwarder on that address and advertises it, so that clients
    /// in other network namespaces can use the cluster; the bootstrap listener binds it too.
    /// </summary>
    public static EmbeddedKafka Start(int brokers = 3, int? port = null, string? advertiseHost = null)
    {
        var mock = new MockCluster(brokers);
        var forwarders = new List<TcpForwarder>();
        try
        {
            var brokerAddresses = mock.BootstrapServers.Split(',');
            var bind = advertiseHost is null ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Parse(advertiseHost);
            if (advertiseHost is not null)
            {
                for (var i = 0; i < brokerAddresses.Length; i++)
                {
                    var forwarder = TcpForwarder.Start(bind, 0, brokerAddresses[i]);
                    forwarders.Add(forwarder);
                    mock.SetBrokerAddress(i + 1, advertiseHost, forwarder.Port);
                }
            }
            var bootstrap = port is { } fixedPort ? TcpForwarder.Start(bind, fixedPort, brokerAddresses[0]) : null;
            if (bootstrap is not null)
                forwarders.Add(bootstrap);
            var bootstrapServers = bootstrap?.Address ?? (advertiseHost is null ? mock.BootstrapServers : string.Join(",", forwarders.Select(f => f.Address)));
            return new EmbeddedKafka(mock, bootstrapServers, forwarders);
        }
        catch
        {
            foreach (var forwarder in forwarders)
                forwarder.DisposeAsync().AsTask().GetAwaiter().GetResult();
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
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken) =>
        _wire.ResetGroupOffsetsAsync(groupId, topic, target, partitions, cancellationToken);

    public Task<IReadOnlyList<TopicPartitionOffset>> ResolveOffsetsAsync(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken) =>
        _wire.ResolveOffsetsAsync(groupId, topic, target, partitions, cancellationToken);

    public Task<int?> ActiveMembersAsync(string groupId, CancellationToken cancellationToken) => _wire.ActiveMembersAsync(groupId, cancellationToken);

    /// <summary>
    /// Fault injection: broker <paramref name="brokerId"/> (1-based) drops its connections and refuses new ones. Its
    /// partitions keep it as leader (use <see cref="SetPartitionLeader"/> to fail them over, as a controller would).
    /// </summary>
    public void SetBrokerDown(int brokerId) => _mock.SetBrokerDown(brokerId);

    public void SetBrokerUp(int brokerId) => _mock.SetBrokerUp(brokerId);

    /// <summary>Fault injection: broker <paramref name="brokerId"/> answers every request <paramref name="rtt"/> late (zero: on time again).</summary>
    public void SetBrokerRtt(int brokerId, TimeSpan rtt) => _mock.SetBrokerRtt(brokerId, (int)rtt.TotalMilliseconds);

    /// <summary>Moves the leadership of <paramref name="topic"/>[<paramref name="partition"/>] to broker <paramref name="brokerId"/>.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) => _mock.SetPartitionLeader(topic, partition, brokerId);

    /// <summary>Makes broker <paramref name="brokerId"/> the coordinator of consumer group <paramref name="groupId"/>.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId) => _mock.SetGroupCoordinator(groupId, brokerId);

    /// <summary>Fault injection: the next requests of kind <paramref name="request"/> (to any broker) fail with <paramref name="errors"/>, one each, in turn.</summary>
    public void FailRequests(KafkaRequest request, IReadOnlyList<ErrorCode> errors) => _mock.PushRequestErrors((short)request, errors);

    /// <summary>The address broker <paramref name="brokerId"/> advertises to clients in metadata; it still listens on its own loopback port.</summary>
    public void AdvertiseBroker(int brokerId, string host, int port) => _mock.SetBrokerAddress(brokerId, host, port);

    /// <summary>
    /// Broker <paramref name="brokerId"/> goes down and each partition it leads, of every topic, is led by the next
    /// broker instead, as a controller would elect; returns how many leaders moved. Group coordinators stay where they
    /// are (the embedded broker does not move them).
    /// </summary>
    public int FailOver(int brokerId)
    {
        if (BrokerCount < 2)
            throw new InvalidOperationException("Failing over needs at least two brokers.");
        Metadata metadata;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BrokerAddresses }).Build())
            metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        SetBrokerDown(brokerId);
        var moved = 0;
        foreach (var topic in metadata.Topics)
        {
            foreach (var partition in topic.Partitions.Where(p => p.Leader == brokerId))
            {
                SetPartitionLeader(topic.Topic, partition.PartitionId, brokerId % BrokerCount + 1);
                moved++;
            }
        }
        return moved;
    }

    /// <summary>Each broker's id and own loopback address (host:port), in id order.</summary>
    public IReadOnlyList<(int Id, string Address)> Brokers => BrokerAddresses.Split(',').Select((address, i) => (i + 1, address)).ToList();

    /// <summary>
    /// The leader of every partition of <paramref name="topic"/>, as the brokers' metadata says now; empty when the
    /// topic does not exist. Asked of the whole cluster's metadata: a request naming the topic would create it.
    /// </summary>
    public IReadOnlyDictionary<int, int> Leaders(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BrokerAddresses }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.SingleOrDefault(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError)?.Partitions
            .ToDictionary(p => p.PartitionId, p => p.Leader) ?? new Dictionary<int, int>();
    }

    public async ValueTask DisposeAsync()
    {
        await _wire.DisposeAsync();
        foreach (var forwarder in _forwarders)
            await forwarder.DisposeAsync();
        _mock.Dispose();
    }

}
