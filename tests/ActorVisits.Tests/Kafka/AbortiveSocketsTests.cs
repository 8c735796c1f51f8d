using ActorVisits.Kafka.Native;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>
/// The processor's and the generator's producer (NativeProducer) connect to the brokers with sockets that reset on close
/// (SO_LINGER 0): a process that dies with produce requests still unsent leaves nothing in its kernel to be retransmitted,
/// and to land after the partitions' next owners' records, once a network partition heals.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class AbortiveSocketsTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task The_native_producers_broker_connections_reset_on_close()
    {
        var topic = await kafka.NewTopicAsync(1, "abortive");
        var before = SocketsResettingOnClose();
        var deliveries = new Deliveries();
        var settings = ProducerSettings<byte[], byte[]>.Create(kafka.Client, Serializers.ByteArray, Serializers.ByteArray);
        using var producer = NativeProducer.Create(settings.Config, deliveries);
        Assert.Null(producer.Produce(producer.TopicHandle(topic), "/store/tech/tv"u8, "{}"u8, 0, null, IntPtr.Zero));
        Assert.True(producer.Flush(TimeSpan.FromSeconds(30)), "the record was acknowledged");
        Assert.Equal([ErrorCode.NoError], deliveries.Errors);

        // Its connections to the brokers (other sockets of this process, the brokers' own among them, keep the default).
        Assert.NotEmpty(SocketsResettingOnClose().Except(before));
    }

    /// <summary>The inodes of this process's sockets that reset on close.</summary>
    private static HashSet<string> SocketsResettingOnClose()
    {
        var sockets = new HashSet<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (new FileInfo(path).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal)
                && int.TryParse(Path.GetFileName(path), out var descriptor) && AbortiveSockets.ResetsOnClose(descriptor))
                sockets.Add(target);
        }
        return sockets;
    }

    private sealed class Deliveries : IDeliveryListener
    {
        private readonly List<ErrorCode> _errors = [];

        public IReadOnlyList<ErrorCode> Errors
        {
            get
            {
                lock (_errors)
                    return _errors.ToList();
            }
        }

        public void OnDelivered(NativeDeliveryReport report)
        {
            lock (_errors)
                _errors.Add(report.Error);
        }
    }
}
