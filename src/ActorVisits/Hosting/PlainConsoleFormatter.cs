using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ActorVisits.Hosting;

/// <summary>One line per event for a terminal: <c>12:01:02.345 warn  librdkafka: message</c>, the category's last part only.</summary>
internal sealed class PlainConsoleFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "actorvisits-plain";

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter writer)
    {
        var message = entry.Formatter?.Invoke(entry.State, entry.Exception);
        if (message is null && entry.Exception is null)
            return;
        var category = entry.Category[(entry.Category.LastIndexOf('.') + 1)..];
        writer.Write(DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
        writer.Write(entry.LogLevel switch
        {
            LogLevel.Trace => " trce ",
            LogLevel.Debug => " dbug ",
            LogLevel.Information => " info ",
            LogLevel.Warning => " warn ",
            LogLevel.Error => " fail ",
            _ => " crit ",
        });
        writer.Write(category);
        writer.Write(": ");
        writer.WriteLine(message);
        if (entry.Exception is { } exception)
            writer.WriteLine(exception.ToString());
    }
}
