using Confluent.Kafka;

namespace ActorVisits.Kafka.Admin;

/// <summary>
/// The admin operations ActorVisits needs, the same against the embedded librdkafka mock cluster and a real Kafka cluster.
/// Differences between the two (the mock has no CreateTopics, DescribeGroups, ListGroups, nor time-indexed ListOffsets)
/// stay inside the implementations; no other code asks which kind of broker it talks to.
/// </summary>
public interface IKafkaAdmin : IAsyncDisposable
{
    string BootstrapServers { get; }

    /// <summary>Creates the topics that do not exist yet; existing ones are left as they are.</summary>
    Task EnsureTopicsAsync(IReadOnlyCollection<TopicSpec> topics, CancellationToken cancellationToken);

    /// <summary>Per partition of <paramref name="topic"/>: the group's committed offset, the log start and end, and the lag.</summary>
    Task<IReadOnlyList<PartitionLag>> DescribeGroupOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the group's committed offsets on the partitions of <paramref name="topic"/> (those in
    /// <paramref name="partitions"/> only, when given; the others keep theirs); the group keeps its name. Throws
    /// <see cref="ActiveMembersException"/> while the group has active members.
    /// </summary>
    Task<IReadOnlyList<TopicPartitionOffset>> ResetGroupOffsetsAsync(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken);

    /// <summary>Where a reset of <paramref name="groupId"/> to <paramref name="target"/> would put each partition; changes nothing (a dry run).</summary>
    Task<IReadOnlyList<TopicPartitionOffset>> ResolveOffsetsAsync(
        string groupId, string topic, OffsetTarget target, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken);

    /// <summary>
    /// The group's live members, asked without joining it; null when the brokers cannot tell (no DescribeGroups: the
    /// embedded broker), where only a reset's join finds out.
    /// </summary>
    Task<int?> ActiveMembersAsync(string groupId, CancellationToken cancellationToken);
}
