namespace ActorVisits.Kafka.Admin;

/// <summary>Offsets of a group with live members cannot be moved: its members would overwrite them at their next commit.</summary>
public sealed class ActiveMembersException(string groupId, string detail)
    : InvalidOperationException($"Consumer group '{groupId}' has active members ({detail}); stop its consumers, then reset again.")
{
    public string GroupId { get; } = groupId;
}
