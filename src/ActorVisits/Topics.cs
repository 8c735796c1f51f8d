using ActorVisits.Kafka.Admin;
using ActorVisits.Processing;

namespace ActorVisits;

/// <summary>The topics of a MediaSeller deployment: the defaults' names, and the topics a processor configuration needs.</summary>
public static class Topics
{
    public const string Visits = "visits";
    public const string Visits1mn = "visits_1mn";

    /// <summary>
    /// Every topic the processor of <paramref name="settings"/> reads or writes: the input, each configured window's
    /// topic, the dead-letter topic and the late topic (unless off). The repartition topic is the processor's own: it
    /// creates it at start, sized like the input.
    /// </summary>
    public static IReadOnlyList<string> Of(ProcessorSettings settings) =>
    [
        settings.InputTopic,
        .. settings.Windows.Windows.Select(w => w.Topic),
        settings.DeadLetterTopic,
        .. settings.LateTopic is { } late ? [late] : Array.Empty<string>(),
    ];

    public static IReadOnlyList<TopicSpec> Specs(ProcessorSettings settings, int partitions, int replicationFactor) =>
        Of(settings).Distinct().Select(name => new TopicSpec(name, partitions, replicationFactor)).ToList();
}
