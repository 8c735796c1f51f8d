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
        try
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(file)).WithFallback(Reference);
        }
        catch (Exception e) when (e is not InvalidConfigurationException)
        {
            throw new InvalidConfigurationException($"Configuration file '{file}' is not valid HOCON: {e.Message}", e);
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
