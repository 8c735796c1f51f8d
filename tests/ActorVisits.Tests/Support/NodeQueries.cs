using System.Net;
using System.Net.Http.Json;
using ActorVisits.Entities.Windows;

namespace ActorVisits.Tests.Support;

/// <summary>A node's query endpoint (GET /urls?url=...) checked against the output topics.</summary>
public static class NodeQueries
{
    /// <summary>The count of the last update of every (URL, window) in <paramref name="run"/>'s window topics.</summary>
    public static Dictionary<(string Url, string Window), int> LastOutputs(ProcessorRun run)
    {
        var last = new Dictionary<(string Url, string Window), int>();
        foreach (var window in run.Settings.Windows.Windows)
        {
            foreach (var record in TestRecords.ReadAll(run.Kafka.Client, window.Topic, TimeSpan.FromSeconds(60)).OrderBy(r => r.Offset.Value))
            {
                Assert.True(WindowUpdateJson.TryParse(record.Message.Value, out var url, out _, out var count, out _));
                last[(url, window.Name)] = count;
            }
        }
        return last;
    }

    /// <summary>
    /// Within <paramref name="within"/>, the node at <paramref name="node"/> (http://host:port) answers every URL with
    /// the counts of <paramref name="expected"/> (0 without any); a 503 (a partition being taken over) or no answer within
    /// the client's time-out is asked again.
    /// </summary>
    public static Task AssertAnswersAsync(HttpClient http, string node, IReadOnlyList<string> urls, Dictionary<(string Url, string Window), int> expected,
        WindowSet windows, TimeSpan within)
    {
        var mismatch = "";
        return Eventually.HoldsAsync(() =>
        {
            foreach (var url in urls)
            {
                HttpStatusCode status;
                string body;
                try
                {
                    (status, body) = Ask(http, node, url);
                }
                catch (Exception e) when (Eventually.IsTransient(e))
                {
                    // A query may wait up to 10 s for a moving shard before it answers "ask again": no answer yet, like a 503.
                    mismatch = $"{url}: no answer ({e.GetType().Name}: {e.Message})";
                    return false;
                }
                if (status != HttpStatusCode.OK)
                {
                    mismatch = $"{url}: {(int)status} {body}";
                    Assert.True(status == HttpStatusCode.ServiceUnavailable, mismatch);
                    return false;
                }
                var answer = System.Text.Json.JsonSerializer.Deserialize<CountsAnswer>(body, Json)!;
                Assert.Equal(url, answer.Url);
                foreach (var window in windows.Windows)
                {
                    var count = answer.Windows.Single(w => w.Window == window.Name).Count;
                    Assert.Equal(expected.GetValueOrDefault((url, window.Name)), count);
                }
            }
            return true;
        }, within, () => $"node {node} answers every URL: {mismatch}");
    }

    /// <summary>True when the node at <paramref name="node"/> answers every URL (200), whatever the counts; false on a 503 or no answer.</summary>
    public static bool AnswersAll(HttpClient http, string node, IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            try
            {
                if (Ask(http, node, url).Status != HttpStatusCode.OK)
                    return false;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>True when the node at <paramref name="node"/> answers <c>/healthz/ready</c> with a 200 (on a cluster: it is an Up member); false otherwise or on no answer.</summary>
    public static bool Ready(HttpClient http, string node)
    {
        try
        {
            return http.GetAsync($"{node}/healthz/ready").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static (HttpStatusCode Status, string Body) Ask(HttpClient http, string node, string url)
    {
        using var response = http.GetAsync($"{node}/urls?url={Uri.EscapeDataString(url)}").GetAwaiter().GetResult();
        return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    private sealed record CountsAnswer(string Url, List<WindowAnswer> Windows);

    private sealed record WindowAnswer(string Window, int Count);
}
