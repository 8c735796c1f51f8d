using System.CommandLine;
using ActorVisits.Commands;

var root = new RootCommand("ActorVisits: real-time visit analytics for MediaSeller's Kafka 'visits' topic.")
{
    BrokerCommand.Create(),
    TopicsCommand.Create(),
    GenerateCommand.Create(),
    OffsetsCommand.Create(),
    TailCommand.Create(),
    DemoCommand.Create(),
};

// Ctrl+C and SIGTERM cancel the running command's token; commands drain and exit within this time.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) };
return await root.Parse(args).InvokeAsync(invocation);
