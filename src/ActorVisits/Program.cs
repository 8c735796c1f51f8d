using ActorVisits.Kafka.Settings;
using System.CommandLine;
using ActorVisits.Commands;
using ActorVisits.Configuration;
using Confluent.Kafka;

var root = new RootCommand("ActorVisits: real-time visit analytics for MediaSeller's Kafka 'visits' topic.")
{
    BrokerCommand.Create(),
    FaultsCommand.Create(),
    TopicsCommand.Create(),
    GenerateCommand.Create(),
    OffsetsCommand.Create(),
    TailCommand.Create(),
    ProcessCommand.Create(),
    QueryCommand.Create(),
    ProbeCommand.Create(),
    WatchCommand.Create(),
    DemoCommand.Create(),
    BenchCommand.Create(),
};

// Ctrl+C and SIGTERM cancel the running command's token; commands drain (10 s at most; when they cannot, the consumer
// closes, 5 s at most), leave the cluster (10 s at most) and exit within this time.
// Until a command builds its host, librdkafka's lines and the commands' own go to standard error, plain.
using var logging = ActorVisits.Hosting.Logging.CreateFactory(ActorVisits.Hosting.LogOptions.Default);

var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(28), EnableDefaultExceptionHandler = false };
try
{
    var parse = root.Parse(args);
    // The default error output repeats unmatched arguments as they are, secrets too.
    if (SecretArguments.TryReportMasked(parse, args, Console.Error))
        return 2;
    var exitCode = await parse.InvokeAsync(invocation);
    // A command line that does not parse is a usage error, as every check of the options is (2), not a failure (1).
    return parse.Errors.Count > 0 ? 2 : exitCode;
}
catch (InvalidConfigurationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (KafkaException e)
{
    // Unreachable brokers, refused credentials, missing ACLs: one clear line; librdkafka's own lines above say more.
    Console.Error.WriteLine($"Kafka error: {e.Error.Reason} ({e.Error.Code}).");
    return 1;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
{
    // A broker that does not answer in time, a topic that does not exist, a file that cannot be read: one clear line.
    Console.Error.WriteLine(e.Message);
    return 1;
}
catch (OperationCanceledException)
{
    // Ctrl+C or SIGTERM while a command was still waiting (a join, an answer): the usual exit code of an interrupt.
    Console.Error.WriteLine("Interrupted.");
    return 130;
}
catch (Exception e)
{
    // Anything else a command did not expect: still one line (its type says where to look), not a stack trace.
    var cause = e.GetBaseException();
    Console.Error.WriteLine($"Failed: {cause.Message} ({cause.GetType().Name}).");
    return 1;
}
