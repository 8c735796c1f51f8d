using Confluent.Kafka;

namespace ActorVisits.Kafka.Settings;

/// <summary>How a committable source consumes: the librdkafka consumer configuration plus the stage's own bounds.</summary>
public sealed record ConsumerSettings<TKey, TValue>(
    ConsumerConfig Config,
    IDeserializer<TKey> KeyDeserializer,
    IDeserializer<TValue> ValueDeserializer)
{
    /// <summary>Longest blocking poll of the consumer thread; bounds how late a commit request or a stop is served.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Records fetched but not yet pulled downstream; at it the consumer stops polling (backpressure).</summary>
    public int MaxBufferedRecords { get; init; } = 10_000;

    /// <summary>Bytes (keys, values, headers) of the records fetched but not yet pulled downstream; at it the consumer stops polling too.</summary>
    public int MaxBufferedBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long the buffer may stay full (not drained to half), with downstream taking less than a buffer's worth of
    /// records meanwhile, before the consumer pauses its partitions. Shorter stalls, and a downstream busy at full
    /// speed, only hold its polls and librdkafka keeps what it prefetched; a pause drops that prefetch (fetched again
    /// on resume) but lets group events waiting behind it (a rebalance) be served. Zero pauses at once.
    /// </summary>
    public TimeSpan PauseWhenFullFor { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long commits refused for a retriable reason (the group coordinator unreachable, moving, loading, slow) are
    /// retried before the stream fails. Meanwhile consuming and processing go on, and each retry commits the latest
    /// processed positions: a broker outage shorter than this costs nothing but a longer tail read again after a crash.
    /// </summary>
    public TimeSpan CommitRetryFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When partitions are revoked (a member joins or leaves), how long the consumer waits for the records of theirs
    /// already handed downstream to be processed and committed before it lets them go, so that their next owner does
    /// not read them again. The group's rebalance waits as long.
    /// </summary>
    public TimeSpan RevokeDrainTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>On a graceful stop, how long positions left uncommitted by a retriable failure are retried before closing.</summary>
    public TimeSpan CloseCommitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string GroupId => Config.GroupId;

    /// <summary>
    /// Rewind the group: on its first assignment the consumer starts every partition at its beginning instead of the
    /// committed offset, and its commits then replace the group's. Refused (the stream fails with
    /// <see cref="Admin.ActiveMembersException"/>) unless it was given every partition: other members would keep theirs.
    /// </summary>
    public bool FromBeginning { get; init; }

    /// <summary>How ActorVisits' consumers share a group's partitions; every member of a group must use the same.</summary>
    public const PartitionAssignmentStrategy AssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;

    /// <summary>
    /// Settings for a consumer in <paramref name="groupId"/> that never commits on its own: offsets are committed by a
    /// committer sink after processing, which gives at-least-once delivery.
    /// </summary>
    public static ConsumerSettings<TKey, TValue> Create(
        ClientConfig client, string groupId, IDeserializer<TKey> keyDeserializer, IDeserializer<TValue> valueDeserializer)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(client))
        {
            GroupId = groupId,
            // Offsets are committed only after processing, by the committer sink: at-least-once.
            EnableAutoCommit = false,
            // Positions are stored by explicit commits only, never as a side effect of polling.
            EnableAutoOffsetStore = false,
        };
        // Defaults below; a client property given for the same key wins (read raw: a value librdkafka accepts, such as
        // auto.offset.reset=smallest, need not parse as Confluent.Kafka's typed property).
        // A group without a committed offset starts at the beginning, so nothing published before it is missed.
        if (config.Get("auto.offset.reset") is null)
            config.AutoOffsetReset = AutoOffsetReset.Earliest;
        // Bounds librdkafka's own prefetch queue, the other half of the memory held under backpressure.
        if (config.Get("queued.max.messages.kbytes") is null)
            config.QueuedMaxMessagesKbytes = 16 * 1024;
        // A dead member's partitions move to the survivors within 10 s (heartbeats run on librdkafka's own thread,
        // so .NET GC pauses do not expire the session). Also bounds how long the embedded broker holds a rebalance.
        if (config.Get("session.timeout.ms") is null)
            config.SessionTimeoutMs = 10_000;
        // Incremental rebalancing: a member joining or leaving moves only the partitions that change owner, instead of
        // revoking every partition of every member (whose in-flight records would all be read and produced again).
        if (config.Get("partition.assignment.strategy") is null)
            config.PartitionAssignmentStrategy = AssignmentStrategy;
        return new ConsumerSettings<TKey, TValue>(config, keyDeserializer, valueDeserializer);
    }

    public ConsumerSettings<TKey, TValue> WithGroupId(string groupId) =>
        this with { Config = new ConsumerConfig(new Dictionary<string, string>(Config)) { GroupId = groupId } };
}
