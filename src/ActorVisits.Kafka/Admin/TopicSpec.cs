namespace ActorVisits.Kafka.Admin;

/// <summary>A topic to create. With a replication factor of 3 or more, <c>min.insync.replicas=2</c> makes <c>acks=all</c> survive one broker loss.</summary>
public sealed record TopicSpec(string Name, int Partitions, int ReplicationFactor);
