using ActorVisits.Kafka.Cluster;

namespace ActorVisits;

/// <summary>The topics of a MediaSeller deployment.</summary>
public static class Topics
{
    public const string Visits = "visits";
    public const string Visits30s = "visits_30s";
    public const string Visits1mn = "visits_1mn";
    public const string Visits5mn = "visits_5mn";
    public const string DeadLetters = "visits_dlq";

    public static IReadOnlyList<string> All { get; } = [Visits, Visits30s, Visits1mn, Visits5mn, DeadLetters];

    public static IReadOnlyList<TopicSpec> Specs(int partitions, int replicationFactor) =>
        All.Select(name => new TopicSpec(name, partitions, replicationFactor)).ToList();
}
