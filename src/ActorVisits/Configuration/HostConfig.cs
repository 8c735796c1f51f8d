using ActorVisits.Kafka.Settings;
using Akka.Configuration;

namespace ActorVisits.Configuration;

/// <summary>The host's HOCON: an optional user file over the reference <c>hocon/actorvisits.conf</c> compiled into the program.</summary>
public static class HostConfig
{
    private const string ReferenceResource = "ActorVisits.actorvisits.conf";

    /// <summary>The reference, with the libraries' own under it: the Kafka stages' settings, the actors' compact mailbox.</summary>
    public static Config Reference { get; } = ConfigurationFactory.ParseString(ReadReference())
        .WithFallback(Kafka.Settings.KafkaSettings.Reference)
        .WithFallback(Actors.CompactMailbox.Definition);

    /// <summary>The reference, overridden by the keys of <paramref name="file"/> when one is given.</summary>
    public static Config Load(string? file)
    {
        if (file is null)
            return Reference;
        if (!File.Exists(file))
            throw new InvalidConfigurationException($"Configuration file '{file}' does not exist.");
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidConfigurationException($"Configuration file '{file}' cannot be read: {e.Message}", e);
        }
        Config parsed;
        try
        {
            parsed = ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new InvalidConfigurationException($"Configuration file '{file}' is not valid HOCON: {e.Message}", e);
        }
        if (UnknownKeys(parsed).FirstOrDefault() is { } unknown)
            throw new InvalidConfigurationException(
                $"Configuration key '{unknown}' in '{file}' is not one ActorVisits reads (misspelt? every key is in hocon/actorvisits.conf and src/ActorVisits.Kafka/reference.conf).");
        return parsed.WithFallback(Reference);
    }

    /// <summary>
    /// The keys under <c>actorvisits</c> that the reference does not have: a misspelt key would otherwise leave its
    /// setting at the default without a word. Free-form keys are not checked: librdkafka's properties (librdkafka checks
    /// those) and the windows' names (each holds <c>length</c> and <c>topic</c>).
    /// </summary>
    private static IEnumerable<string> UnknownKeys(Config user)
    {
        if (!user.HasPath(Section))
            yield break;
        foreach (var path in Leaves(user.GetConfig(Section).Root, Section))
        {
            if (path.StartsWith($"{Section}.kafka.client-properties.", StringComparison.Ordinal))
                continue;
            if (path.StartsWith(WindowsPrefix, StringComparison.Ordinal))
            {
                var rest = path[WindowsPrefix.Length..];
                if (rest.Count(c => c == '.') == 1 && rest[(rest.IndexOf('.') + 1)..] is "length" or "topic")
                    continue;
                yield return path;
                continue;
            }
            if (!Reference.HasPath(path))
                yield return path;
        }
    }

    private const string Section = "actorvisits";
    private const string WindowsPrefix = "actorvisits.processor.windows.";

    private static IEnumerable<string> Leaves(Akka.Configuration.Hocon.HoconValue value, string path)
    {
        if (!value.IsObject())
        {
            yield return path;
            yield break;
        }
        foreach (var (key, child) in value.GetObject().Items)
        {
            foreach (var leaf in Leaves(child, $"{path}.{key}"))
                yield return leaf;
        }
    }

    private static string ReadReference()
    {
        using var stream = typeof(HostConfig).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"The reference configuration '{ReferenceResource}' is not embedded in the program.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
