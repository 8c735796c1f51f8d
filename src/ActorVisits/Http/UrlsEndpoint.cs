using ActorVisits.Kafka.Settings;
using ActorVisits.Processing;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Http;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Http;

/// <summary>
/// <c>GET /urls/{url}</c> (the URL without its leading slash, as in <c>/urls/store/tech/tv</c>) or <c>GET /urls?url=...</c>
/// for URLs with a query string: the URL's live counts in every window, as JSON; 503 while its partition is being taken
/// over or rebuilt.
/// </summary>
internal static class UrlsEndpoint
{
    /// <summary>Maps the query endpoint; it answers 503 until the processor has started (a cluster node still joining).</summary>
    public static IEndpointRouteBuilder MapUrlQueries(this IEndpointRouteBuilder endpoints, Func<UrlQueries?> queries)
    {
        endpoints.MapGet("/urls", (string? url, CancellationToken requestAborted) =>
            url is { Length: > 0 } ? AnswerAsync(url, queries(), requestAborted) : Task.FromResult(Results.BadRequest(new { error = "missing query parameter 'url'" })));
        endpoints.MapGet("/urls/{**url}", (string url, CancellationToken requestAborted) => AnswerAsync("/" + url, queries(), requestAborted));
        return endpoints;
    }

    private static async Task<IResult> AnswerAsync(string url, UrlQueries? queries, CancellationToken cancel)
    {
        if (queries is null)
            return Unavailable(url, "the processor is starting (a cluster node joins first); ask again shortly");
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
        catch (PartitionsUnknownException e)
        {
            // Brokers unreachable, or the topic missing.
            return Unavailable(url, $"which partition holds the URL is not known: {e.Message}; ask again shortly");
        }
        catch (ObjectDisposedException)
        {
            return Unavailable(url, "the processor is stopping");
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
