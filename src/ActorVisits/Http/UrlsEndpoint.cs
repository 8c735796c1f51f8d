using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Http;

/// <summary>
/// <c>GET /urls/{url}</c> (the URL without its leading slash, as in <c>/urls/store/tech/tv</c>) or <c>GET /urls?url=...</c>
/// for URLs with a query string: the URL's live counts in every window, as JSON; 503 while its partition is being taken
/// over or rebuilt.
/// </summary>
internal static class UrlsEndpoint
{
    public static async Task<WebApplication> StartAsync(int port, UrlQueries queries, CancellationToken cancel)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The processor's progress lines are the log; Kestrel's own start-up lines are not needed.
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        var app = builder.Build();
        app.MapGet("/urls", (string? url, CancellationToken requestAborted) =>
            url is { Length: > 0 } ? AnswerAsync(url, queries, requestAborted) : Task.FromResult(Results.BadRequest(new { error = "missing query parameter 'url'" })));
        app.MapGet("/urls/{**url}", (string url, CancellationToken requestAborted) => AnswerAsync("/" + url.TrimStart('/'), queries, requestAborted));
        try
        {
            await app.StartAsync(cancel);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new Kafka.Settings.InvalidConfigurationException($"Cannot listen on HTTP port {port} ({e.Message}); --http-port picks another one, 0 none.", e);
        }
        return app;
    }

    private static async Task<IResult> AnswerAsync(string url, UrlQueries queries, CancellationToken cancel)
    {
        UrlCounts counts;
        try
        {
            counts = await queries.QueryAsync(url, cancel);
        }
        catch (AskTimeoutException)
        {
            // The node that held the URL's shard is gone and not yet removed from the cluster.
            return Unavailable(url, "the node owning the URL's partition did not answer; ask again shortly");
        }
        return counts.Available
            ? Results.Json(UrlCountsJson.From(counts))
            : Unavailable(url, $"{counts.Unavailable}; ask again shortly");
    }

    private static IResult Unavailable(string url, string error) =>
        Results.Json(new { url, error }, statusCode: StatusCodes.Status503ServiceUnavailable);
}

/// <summary>The JSON answer of the query endpoint.</summary>
internal sealed record UrlCountsJson(string Url, IReadOnlyList<WindowCountJson> Windows)
{
    public static UrlCountsJson From(UrlCounts counts) =>
        new(counts.Url, counts.Windows.Select(w => new WindowCountJson(w.Window, w.Seconds, w.Count, Math.Round(w.PerSecond, 4), w.WindowEnd)).ToList());
}

internal sealed record WindowCountJson(string Window, int Seconds, int Count, double PerSecond, DateTimeOffset? WindowEnd);
