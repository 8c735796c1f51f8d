using System.Runtime.InteropServices;
using ActorVisits.Kafka.Native;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Embedded.Native;

/// <summary>
/// librdkafka's in-memory mock Kafka cluster: real Kafka-protocol brokers on loopback TCP ports, reachable by any client.
/// It owns a bare rd_kafka_t whose threads serve the brokers.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    private IntPtr _handle;
    private IntPtr _cluster;

    public MockCluster(int brokerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(brokerCount);
        MockApi.EnsureBound();
        var errstr = new byte[512];
        var conf = Librdkafka.rd_kafka_conf_new();
        // The hosting handle never talks to a cluster itself; it only runs the mock brokers' threads.
        Librdkafka.rd_kafka_conf_set(conf, "log_level", "3", errstr, (nuint)errstr.Length);
        _handle = Librdkafka.rd_kafka_new(0, conf, errstr, (nuint)errstr.Length);
        if (_handle == IntPtr.Zero)
            throw new InvalidOperationException($"librdkafka refused to create the mock cluster's handle: {Librdkafka.ErrorText(errstr)}");
        _cluster = MockApi.rd_kafka_mock_cluster_new(_handle, brokerCount);
        if (_cluster == IntPtr.Zero)
        {
            Librdkafka.rd_kafka_destroy(_handle);
            throw new InvalidOperationException("librdkafka could not start the mock cluster (no loopback port?).");
        }
        // Groups form as soon as members join instead of after Kafka's 3 s group.initial.rebalance.delay.ms.
        MockApi.rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, 0);
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(MockApi.rd_kafka_mock_cluster_bootstraps(_cluster))!;
    }

    public int BrokerCount { get; }

    /// <summary>Comma-separated <c>127.0.0.1:port</c> of every broker.</summary>
    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor)
    {
        var error = MockApi.rd_kafka_mock_topic_create(Live(), topic, partitions, Math.Min(replicationFactor, BrokerCount));
        if (error != 0)
            throw new InvalidOperationException($"The embedded broker could not create topic '{topic}' (librdkafka error {error}).");
    }

    /// <summary>Disconnects broker <paramref name="brokerId"/> (1-based) and refuses new connections; no leader moves.</summary>
    public void SetBrokerDown(int brokerId) => Check(MockApi.rd_kafka_mock_broker_set_down(Live(), brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId) => Check(MockApi.rd_kafka_mock_broker_set_up(Live(), brokerId), $"set broker {brokerId} up");

    /// <summary>Delays every response of broker <paramref name="brokerId"/> by <paramref name="rttMs"/> milliseconds (0: none).</summary>
    public void SetBrokerRtt(int brokerId, int rttMs) => Check(MockApi.rd_kafka_mock_broker_set_rtt(Live(), brokerId, rttMs), $"set the round trip of broker {brokerId}");

    /// <summary>The address broker <paramref name="brokerId"/> advertises in metadata (it still listens where it did).</summary>
    public void SetBrokerAddress(int brokerId, string host, int port) => MockApi.rd_kafka_mock_broker_set_host_port(Live(), brokerId, host, port);

    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(MockApi.rd_kafka_mock_partition_set_leader(Live(), topic, partition, brokerId), $"move the leader of {topic}[{partition}] to broker {brokerId}");

    /// <summary>Makes broker <paramref name="brokerId"/> the coordinator of consumer group <paramref name="groupId"/>.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId) =>
        Check(MockApi.rd_kafka_mock_coordinator_set(Live(), "group", groupId, brokerId), $"make broker {brokerId} the coordinator of group {groupId}");

    /// <summary>The next requests of <paramref name="apiKey"/>, to any broker, fail with <paramref name="errors"/> in turn.</summary>
    public void PushRequestErrors(short apiKey, IReadOnlyList<ErrorCode> errors) =>
        MockApi.rd_kafka_mock_push_request_errors_array(Live(), apiKey, (nuint)errors.Count, errors.Select(e => (int)e).ToArray());

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException($"The embedded broker could not {what} (librdkafka error {error}: {new Error((ErrorCode)error).Reason}).");
    }

    private IntPtr Live() => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(MockCluster));

    public void Dispose()
    {
        if (_cluster != IntPtr.Zero)
        {
            MockApi.rd_kafka_mock_cluster_destroy(_cluster);
            _cluster = IntPtr.Zero;
        }
        if (_handle != IntPtr.Zero)
        {
            Librdkafka.rd_kafka_destroy(_handle);
            _handle = IntPtr.Zero;
        }
    }
}
