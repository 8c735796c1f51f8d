namespace ActorVisits.Kafka.Admin;

/// <summary>Offsets of a group with live members cannot be moved: its members would overwrite them at their next commit.</summary>
public sealed class ActiveMembersException(string groupId, string detail)
    : InvalidOperationException($"Consumer group '{groupId}' has active members ({detail}); stop its consumers, then reset again.")
{
    /// <summary>The group has <paramref name="members"/> live members, as the brokers describe it.</summary>
    public ActiveMembersException(string groupId, int members) : this(groupId, $"{members} member(s)")
    {
    }

    public string GroupId { get; } = groupId;
}
