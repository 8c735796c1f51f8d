namespace ActorVisits.Kafka.Embedded;

/// <summary>Kafka protocol request kinds (their API keys) whose failures the embedded broker can inject.</summary>
public enum KafkaRequest : short
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    InitProducerId = 22,
}
