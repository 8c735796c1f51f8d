using ActorVisits.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;

namespace ActorVisits.Hosting;

/// <summary>
/// The one log pipeline: every line (the program's, Akka's through its logger factory, librdkafka's through
/// <see cref="KafkaLog"/>) goes to standard error, plain or as JSON lines; standard output stays the commands' own output.
/// </summary>
public static class Logging
{
    public static ILoggingBuilder AddActorVisitsConsole(this ILoggingBuilder logging, LogOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.Level);
        // ASP.NET's own chatter (each request, Kestrel's start) is not this program's story.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        if (options.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                json.UseUtcTimestamp = true;
                json.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddConsole(console => console.FormatterName = PlainConsoleFormatter.Name);
            logging.AddConsoleFormatter<PlainConsoleFormatter, ConsoleFormatterOptions>();
        }
        logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        return logging;
    }

    /// <summary>A logger factory of the pipeline, for commands without a host; also where librdkafka's lines go.</summary>
    public static ILoggerFactory CreateFactory(LogOptions options)
    {
        var factory = LoggerFactory.Create(logging => logging.AddActorVisitsConsole(options));
        KafkaLog.LoggerFactory = factory;
        return factory;
    }
}
