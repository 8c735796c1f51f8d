namespace ActorVisits.Entities;

/// <summary>One page visit on the MediaSeller site, as published to the <c>visits</c> topic.</summary>
public sealed record Visit(Guid Id, string SourceIp, string Url, DateTimeOffset Timestamp);
