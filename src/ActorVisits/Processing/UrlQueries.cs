using ActorVisits.Kafka.Settings;
using System.Text;
using ActorVisits.Actors;
using ActorVisits.Configuration;
using ActorVisits.Entities;
using ActorVisits.Kafka;
using Akka.Actor;
using Confluent.Kafka;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Processing;

/// <summary>
/// "What are this URL's live counts?" The URL's input partition is the one its visits are keyed to (murmur2 of the URL,
/// as Kafka's producers choose); the query goes through the cluster's URL shards to the shard of that partition on the
/// node that consumes it (any node can ask), or, on a single node, straight to this process's partition actor.
/// </summary>
public sealed class UrlQueries : IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromMinutes(1);

    /// <summary>A query answers "ask again" within this, rather than hold an HTTP request while a shard moves.</summary>
    private static readonly TimeSpan LongestQuery = TimeSpan.FromSeconds(10);

    private readonly IAdminClient _admin;
    private readonly string _topic;
    private readonly TimeSpan _timeout;
    private readonly LocalPartitions _local;
    private readonly ShardedUrls? _sharded;
    private readonly object _gate = new();
    private (int Count, DateTimeOffset At)? _partitions;
    private Task<int>? _refreshing;

    internal UrlQueries(KafkaSettings kafka, ProcessorSettings settings, LocalPartitions local, ShardedUrls? sharded)
    {
        var config = kafka.Client();
        _admin = new AdminClientBuilder(config).SetLogHandler(KafkaLog.For(config)).Build();
        _topic = settings.CountingTopic;
        _timeout = settings.AskTimeout < LongestQuery ? settings.AskTimeout : LongestQuery;
        _local = local;
        _sharded = sharded;
    }

    /// <summary>The URL's counts; <see cref="UrlCounts.Available"/> is false while its partition is being taken over or rebuilt.</summary>
    public async Task<UrlCounts> QueryAsync(string url, CancellationToken cancel)
    {
        var partitions = await PartitionCountAsync(cancel);
        var partition = KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(url), partitions);
        if (_sharded is not null)
        {
            var owner = await _sharded.Owners.OwnerOfAsync(partition);
            if (owner is null)
                return UrlCounts.NotAvailable(url, $"no node has claimed partition {partition} yet");
            if (!_sharded.Owners.IsLiveMember(owner))
                return UrlCounts.NotAvailable(url, $"partition {partition}'s node {owner} is unreachable or gone; the partition is being taken over");
            return await _sharded.Region.Ask<UrlCounts>(UrlSharding.Query(url, partition, UrlSharding.ShardOf(partition, owner)), _timeout, cancel);
        }
        return _local.TryGet(partition, out var actor)
            ? await actor.Ask<UrlCounts>(new QueryUrl(url, partition), _timeout, cancel)
            : UrlCounts.NotAvailable(url, $"partition {partition} is not consumed by this process");
    }

    /// <summary>
    /// The input's partition count, read again once a minute. A count older than that is still answered at once while a
    /// single read in the background refreshes it: it rarely changes, and brokers that do not answer must not hold
    /// every query (and a thread-pool thread each) for the metadata time-out.
    /// </summary>
    private async Task<int> PartitionCountAsync(CancellationToken cancel)
    {
        Task<int> refresh;
        lock (_gate)
        {
            if (_partitions is { } known && DateTimeOffset.UtcNow - known.At < MetadataMaxAge)
                return known.Count;
            // One metadata read at a time, shared by the queries that need it. A failed one is tried again by the next
            // query; its error is observed here once, for when only queries answered from the stale count awaited it.
            if (_refreshing is not { IsCompleted: false })
            {
                _refreshing = Task.Run(ReadPartitionCount);
                _ = _refreshing.ContinueWith(static read => read.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
            refresh = _refreshing;
            if (_partitions is { } stale)
                return stale.Count;
        }
        return await refresh.WaitAsync(cancel);
    }

    private int ReadPartitionCount()
    {
        Metadata metadata;
        try
        {
            metadata = _admin.GetMetadata(_topic, MetadataTimeout);
        }
        catch (KafkaException e)
        {
            throw new PartitionsUnknownException($"the brokers did not tell the partitions of '{_topic}': {e.Error.Reason}", e);
        }
        var topic = metadata.Topics.SingleOrDefault(t => t.Topic == _topic);
        if (topic is null || topic.Error.Code != ErrorCode.NoError || topic.Partitions.Count == 0)
            throw new PartitionsUnknownException($"topic '{_topic}' does not exist", null);
        lock (_gate)
            _partitions = (topic.Partitions.Count, DateTimeOffset.UtcNow);
        return topic.Partitions.Count;
    }

    public void Dispose() => _admin.Dispose();
}
