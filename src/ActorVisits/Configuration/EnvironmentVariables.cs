namespace ActorVisits.Configuration;

/// <summary>
/// Where the host's options read their environment variables (ACTORVISITS_*): the process environment, or, for a test
/// that must not depend on its caller's environment, none at all.
/// </summary>
public sealed class EnvironmentVariables(Func<string, string?> lookup)
{
    public static EnvironmentVariables Process { get; } = new(System.Environment.GetEnvironmentVariable);

    public static EnvironmentVariables None { get; } = new(_ => null);

    /// <summary>The variable's value, or null when it is unset or empty.</summary>
    public string? Get(string name) => lookup(name) is { Length: > 0 } value ? value : null;
}
