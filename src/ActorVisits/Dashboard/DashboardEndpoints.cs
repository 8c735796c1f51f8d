using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ActorVisits.Dashboard;

/// <summary>
/// The dashboard: its page (static files embedded in the assembly: no CDN, no build step) at <c>/</c>, and the JSON API
/// behind it, usable by any tool (docs/dashboard.md):
/// <c>GET /api/top?window=30s&amp;n=20</c>, <c>GET /api/urls/{url}</c> (or <c>?url=</c>), <c>GET /api/pipeline</c>, and
/// <c>GET /api/events[?url=...]</c>, a Server-Sent Events stream with one picture a second. Bad parameters get a 400
/// with a message.
/// </summary>
internal static class DashboardEndpoints
{
    public const int MaxTop = 1000;
    private const int MaxUrlLength = 2048;

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => Asset("index.html"));
        endpoints.MapGet("/dashboard/{file}", (string file) => Asset(file));
        endpoints.MapGet("/api/top", (HttpRequest request, TrendBoard board) => Top(request, board));
        endpoints.MapGet("/api/urls", (string? url, TrendBoard board) => Url(url, board));
        // The path form gives the URL without its first '/' (any URL, '/' or not, goes as ?url=).
        endpoints.MapGet("/api/urls/{**url}", (string url, TrendBoard board) => Url("/" + url, board));
        endpoints.MapGet("/api/suggest", (string? q, TrendBoard board) =>
            Results.Json(board.Suggest(q ?? "", 10), DashboardJson.Options));
        endpoints.MapGet("/api/pipeline", async (DashboardFeed feed) => Results.Json(await feed.PipelineAsync(), DashboardJson.Options));
        endpoints.MapGet("/api/events", EventsAsync);
        return endpoints;
    }

    private static IResult Top(HttpRequest request, TrendBoard board)
    {
        var windowName = request.Query["window"].ToString();
        var names = string.Join(", ", board.Windows.Select(w => w.Name));
        if (windowName.Length == 0)
            return BadRequest($"missing query parameter 'window' (one of {names})");
        if (board.Window(windowName) is not { } window)
            return BadRequest($"unknown window '{Shorten(windowName)}' (one of {names})");
        var n = 20;
        if (request.Query["n"].ToString() is { Length: > 0 } text && (!int.TryParse(text, out n) || n < 1 || n > MaxTop))
            return BadRequest($"'n' must be a whole number from 1 to {MaxTop} (got '{Shorten(text)}')");
        return Results.Json(new
        {
            window = window.Name,
            seconds = window.Seconds,
            historyStepSeconds = TrendBoard.HistoryStep.TotalSeconds,
            lastUpdateAt = board.LastUpdateAt,
            urls = board.Top(window, n).Select(DashboardJson.Row),
        }, DashboardJson.Options);
    }

    private static IResult Url(string? url, TrendBoard board) =>
        ValidUrl(url) is { } error ? BadRequest(error) : Results.Json(UrlTrend(url!, board), DashboardJson.Options);

    private static object UrlTrend(string url, TrendBoard board) => new
    {
        url,
        historyStepSeconds = TrendBoard.HistoryStep.TotalSeconds,
        lastUpdateAt = board.LastUpdateAt,
        windows = board.Of(url).Select(w => new { window = w.Window.Name, seconds = w.Window.Seconds, count = w.Row.Count, perSecond = Math.Round(w.Row.PerSecond, 3), history = w.Row.History }),
    };

    private static string? ValidUrl(string? url) => url switch
    {
        null or "" => "missing the URL: /api/urls/{url} or /api/urls?url=...",
        { Length: > MaxUrlLength } => $"URL longer than {MaxUrlLength} characters",
        _ => null,
    };

    /// <summary>
    /// Server-Sent Events: the whole picture every second (event <c>snapshot</c>) and, with <c>?url=</c>, that URL's
    /// counts and history (event <c>url</c>). The browser's EventSource reconnects by itself after a node restart.
    /// </summary>
    private static async Task EventsAsync(HttpContext context, DashboardFeed feed, TrendBoard board, IHostApplicationLifetime lifetime)
    {
        var url = context.Request.Query["url"].ToString();
        if (url.Length > 0 && ValidUrl(url) is { } error)
        {
            await BadRequest(error).ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Proxies (nginx) must not hold the stream back.
        response.Headers["X-Accel-Buffering"] = "no";
        // The stream ends when the host starts stopping: Kestrel stops first and would wait for it, holding the
        // processor's drain back until the host's stop time-out.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var aborted = ended.Token;
        var snapshot = feed.Current;
        try
        {
            // Reconnect after 2 s when the node goes away.
            await response.WriteAsync("retry: 2000\n\n", aborted);
            while (!aborted.IsCancellationRequested)
            {
                await response.WriteAsync($"id: {snapshot.Sequence}\nevent: snapshot\ndata: ", aborted);
                await response.Body.WriteAsync(snapshot.Json, aborted);
                await response.WriteAsync("\n\n", aborted);
                if (url.Length > 0)
                {
                    var json = System.Text.Json.JsonSerializer.Serialize(UrlTrend(url, board), DashboardJson.Options);
                    await response.WriteAsync($"event: url\ndata: {json}\n\n", aborted);
                }
                await response.Body.FlushAsync(aborted);
                snapshot = await feed.NextAsync().WaitAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }

    private static IResult Asset(string file)
    {
        var extension = Path.GetExtension(file);
        if (!ContentTypes.TryGetValue(extension, out var type))
            return Results.NotFound();
        var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"ActorVisits.Dashboard.wwwroot.{file}");
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }

    private static IResult BadRequest(string error) => Results.Json(new { error }, DashboardJson.Options, statusCode: StatusCodes.Status400BadRequest);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
