using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace ActorVisits.Kafka.Admin;

/// <summary>
/// A cluster reached over the network by its bootstrap servers: a real Kafka cluster or an embedded broker run by
/// another process. Uses the Admin API where the brokers support it and falls back to plain consumer-protocol
/// operations where they do not (the librdkafka mock answers DescribeGroups with "not supported").
/// </summary>
public sealed class KafkaAdmin : IKafkaAdmin
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);
    // Joining a group waits for its members to rejoin, up to their session timeout (45 s by librdkafka's default).
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientConfig _clientConfig;
    private readonly IAdminClient _admin;

    public KafkaAdmin(ClientConfig clientConfig)
    {
        _clientConfig = clientConfig;
        _admin = new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>(clientConfig)))
            .SetLogHandler(KafkaLog.For(clientConfig))
            .Build();
    }

    public string BootstrapServers => _clientConfig.BootstrapServers;

    public async Task EnsureTopicsAsync(IReadOnlyCollection<TopicSpec> topics, CancellationToken cancellationToken)
    {
        var existing = _admin.GetMetadata(RequestTimeout).Topics
            .Where(topic => topic.Error.Code == ErrorCode.NoError)
            .Select(topic => topic.Topic)
            .ToHashSet();
        var missing = topics.Where(topic => !existing.Contains(topic.Name)).ToList();
        if (missing.Count == 0)
            return;
        try
        {
            await _admin.CreateTopicsAsync(
                missing.Select(ToSpecification),
                new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
        }
        catch (KafkaException e)
        {
            throw new InvalidOperationException(
                $"Could not create topics {string.Join(", ", missing.Select(t => t.Name))} on {BootstrapServers}: {e.Error.Reason}. " +
                "An embedded broker creates its topics when it starts (actorvisits broker --partitions N); on a real cluster, check the ACLs.", e);
        }
    }

    private static TopicSpecification ToSpecification(TopicSpec topic) => new()
    {
        Name = topic.Name,
        NumPartitions = topic.Partitions,
        ReplicationFactor = (short)topic.ReplicationFactor,
        // With three replicas, an acks=all write is acknowledged once two hold it, so one broker can fail without loss.
        Configs = topic.ReplicationFactor >= 3 ? new Dictionary<string, string> { ["min.insync.replicas"] = "2" } : null,
    };

    public Task<IReadOnlyList<PartitionLag>> DescribeGroupOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<PartitionLag>>(() =>
        {
            using var consumer = BuildConsumer(groupId);
            var partitions = PartitionsOf(topic, consumer);
            var committed = consumer.Committed(partitions, RequestTimeout).ToDictionary(o => o.Partition.Value, o => o.Offset);
            return partitions.Select(partition =>
            {
                var watermarks = consumer.QueryWatermarkOffsets(partition, RequestTimeout);
                var offset = committed.GetValueOrDefault(partition.Partition.Value, Offset.Unset);
                return new PartitionLag(partition.Partition.Value, offset.IsSpecial ? null : offset.Value, watermarks.Low.Value, watermarks.High.Value);
            }).ToList();
        }, cancellationToken);

    public async Task<IReadOnlyList<TopicPartitionOffset>> ResetGroupOffsetsAsync(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken)
    {
        var members = await ActiveMembersAsync(groupId, cancellationToken);
        if (members is { } count)
        {
            if (count > 0)
                throw new ActiveMembersException(groupId, count);
            var offsets = await Task.Run(() => ResolveTargets(groupId, topic, target, partitions), cancellationToken);
            await _admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(groupId, offsets.ToList())]);
            return offsets;
        }
        return await Task.Run(() => ResetAsSoleMember(groupId, topic, target, partitions, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyList<TopicPartitionOffset>> ResolveOffsetsAsync(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken) =>
        Task.Run(() => ResolveTargets(groupId, topic, target, partitions), cancellationToken);

    /// <summary>Live members of the group, or null when the brokers do not support DescribeGroups.</summary>
    public async Task<int?> ActiveMembersAsync(string groupId, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _admin.DescribeConsumerGroupsAsync([groupId], new DescribeConsumerGroupsOptions { RequestTimeout = RequestTimeout })
                .WaitAsync(cancellationToken);
            return result.ConsumerGroupDescriptions.Single().Members.Count;
        }
        catch (DescribeConsumerGroupsException e) when (e.Results.ConsumerGroupDescriptions.Any(d => d.Error.Code == ErrorCode.Local_UnsupportedFeature))
        {
            return null;
        }
    }

    /// <summary>
    /// Without DescribeGroups, the only way to learn whether others are in the group, and to commit for a group that
    /// already exists, is to join it: alone, this member is assigned every partition and commits with its generation;
    /// with other members it gets only a share, and refuses.
    /// </summary>
    private IReadOnlyList<TopicPartitionOffset> ResetAsSoleMember(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? chosen, CancellationToken cancellationToken)
    {
        var partitions = PartitionsOf(topic);
        var offsets = ResolveTargets(groupId, topic, target, chosen);
        // Joined once the group assigns this member anything, nothing included: with as many members as partitions, a
        // cooperative group gives a newcomer no partition at all, which is a refusal, not a join still under way.
        var joined = false;
        using var consumer = BuildConsumer(groupId, onAssigned: () => joined = true);
        try
        {
            consumer.Subscribe(topic);
            var deadline = DateTime.UtcNow + JoinTimeout;
            while (!joined)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Could not join consumer group '{groupId}' within {JoinTimeout.TotalSeconds:0} s.");
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            var assigned = consumer.Assignment.Count;
            if (assigned < partitions.Count)
                throw new ActiveMembersException(groupId,
                    $"joining it was given {assigned} of {partitions.Count} partitions; a stopped consumer stays a member until its session times out, so retry once the members have left");
            consumer.Commit(offsets);
            return offsets;
        }
        finally
        {
            // Leaves the group on every path (a refusal, a time-out, a cancellation): a member disposed in the middle
            // of a join or rebalance is not guaranteed to leave, and its destroy can wait for an assignment.
            GroupExit.ReleasePartitions(consumer, () => consumer.Consume(TimeSpan.FromMilliseconds(50)), ReleaseTimeout, _ => { });
            try
            {
                consumer.Close();
            }
            catch (KafkaException)
            {
                // The outcome above is what the caller needs; a failed leave ends with the session time-out.
            }
        }
    }

    /// <summary>
    /// Where <paramref name="target"/> puts each partition of <paramref name="topic"/> (those in <paramref name="chosen"/>
    /// only, when given), each within its log: an offset before the log start moves to it, one past the end to the end.
    /// </summary>
    private IReadOnlyList<TopicPartitionOffset> ResolveTargets(string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? chosen)
    {
        var partitions = Chosen(PartitionsOf(topic), chosen, topic);
        using var consumer = BuildConsumer(groupId: null);
        var committed = new Dictionary<int, Offset>();
        if (target is OffsetTarget.ShiftBy)
        {
            // Read, not joined: a consumer that never subscribes asks the coordinator without becoming a member.
            using var group = BuildConsumer(groupId);
            committed = group.Committed(partitions, RequestTimeout).ToDictionary(o => o.Partition.Value, o => o.Offset);
        }
        // Further back than 1970 is the start of every log.
        var since = target is OffsetTarget.Ago ago
            ? DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch > ago.Duration ? DateTimeOffset.UtcNow - ago.Duration : DateTimeOffset.UnixEpoch
            : default;
        return partitions.Select(p =>
        {
            var log = consumer.QueryWatermarkOffsets(p, RequestTimeout);
            long Within(long offset) => Math.Clamp(offset, log.Low.Value, log.High.Value);
            return new TopicPartitionOffset(p, target switch
            {
                OffsetTarget.Earliest => log.Low,
                OffsetTarget.Latest => log.High,
                OffsetTarget.AtTime at => PartitionHistory.FirstOffsetAtOrAfter(consumer, p, at.Time, RequestTimeout),
                OffsetTarget.Ago => PartitionHistory.FirstOffsetAtOrAfter(consumer, p, since, RequestTimeout),
                OffsetTarget.ToOffset to => Within(to.Offset),
                OffsetTarget.ShiftBy shift => committed.GetValueOrDefault(p.Partition.Value, Offset.Unset) is { IsSpecial: false } from
                    ? Within(from.Value + shift.Records)
                    : throw new InvalidOperationException(
                        $"Group '{groupId}' has no committed offset on {topic} partition {p.Partition.Value} to shift from; reset it to earliest, latest, a time or an offset instead."),
                _ => throw new ArgumentOutOfRangeException(nameof(target), target, null),
            });
        }).ToList();
    }

    /// <summary>The partitions in <paramref name="chosen"/> (all when null); one the topic lacks is an error naming what it has.</summary>
    private static List<TopicPartition> Chosen(List<TopicPartition> partitions, IReadOnlyCollection<int>? chosen, string topic)
    {
        if (chosen is null)
            return partitions;
        var missing = chosen.Where(c => partitions.All(p => p.Partition.Value != c)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"Topic '{topic}' has no partition {string.Join(", ", missing)} (it has 0 to {partitions.Count - 1}).");
        return partitions.Where(p => chosen.Contains(p.Partition.Value)).ToList();
    }

    /// <summary>
    /// The partitions of <paramref name="topic"/>, asked through <paramref name="client"/>'s connections when given: a
    /// client made for this question, where the long-lived admin client was seen to time out for a minute after a
    /// broker came back.
    /// </summary>
    private List<TopicPartition> PartitionsOf(string topic, IClient? client = null)
    {
        using var dependent = client is null ? null : new DependentAdminClientBuilder(client.Handle).Build();
        var metadata = (dependent ?? _admin).GetMetadata(topic, RequestTimeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code != ErrorCode.NoError || metadata.Partitions.Count == 0)
            throw new InvalidOperationException($"Topic '{topic}' does not exist on {BootstrapServers}.");
        return metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
    }

    private IConsumer<byte[], byte[]> BuildConsumer(string? groupId, Action? onAssigned = null)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(_clientConfig))
        {
            // Admin-side reads of offsets and records never commit on their own.
            EnableAutoCommit = false,
            GroupId = groupId ?? $"actorvisits-admin-{Guid.NewGuid():N}",
            AllowAutoCreateTopics = false,
            // When this member joins a live group to reset it, the group's next rebalances are not held longer than this.
            SessionTimeoutMs = 10_000,
            // A search for a time reads records near the log's end: the end is told, rather than waited out, where the
            // offsets left hold no record (a transaction's commit marker).
            EnablePartitionEof = true,
        };
        // Joining a group needs the protocol its members speak (a broker refuses a mix; the embedded one aborts).
        if (config.Get("partition.assignment.strategy") is null)
            config.PartitionAssignmentStrategy = Settings.ConsumerSettings<byte[], byte[]>.AssignmentStrategy;
        var builder = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler(KafkaLog.For(config));
        if (onAssigned is not null)
            builder.SetPartitionsAssignedHandler((_, _) => onAssigned());
        return builder.Build();
    }

    public ValueTask DisposeAsync()
    {
        _admin.Dispose();
        return ValueTask.CompletedTask;
    }
}
