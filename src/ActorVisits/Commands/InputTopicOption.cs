using System.CommandLine;
using Akka.Configuration;

namespace ActorVisits.Commands;

/// <summary><c>--topic</c> / <c>-t</c> for a command that reads or writes the input topic: by default the configuration's.</summary>
internal static class InputTopicOption
{
    public static Option<string?> Create(string description) => new("--topic", "-t")
    {
        Description = $"{description} Default: actorvisits.processor.input-topic (visits), from --config when given.",
    };

    /// <summary>The topic given, else the input topic of <paramref name="config"/>.</summary>
    public static string Resolve(ParseResult parse, Option<string?> option, Config config) =>
        parse.GetValue(option) ?? Processing.ProcessorSettings.FromConfig(config).InputTopic;
}
