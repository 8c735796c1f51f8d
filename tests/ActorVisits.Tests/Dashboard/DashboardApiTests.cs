using System.Net;
using System.Text.Json;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Dashboard;

/// <summary>
/// The dashboard's JSON API on the real `actorvisits process`: what it serves is the window topics' latest updates
/// (checked against them and against the live query endpoint), its event stream, its pipeline figures (against the
/// input's bad and late records), and bad parameters answered with a 400 and a message, never a stack trace.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class DashboardApiTests(EmbeddedKafkaFixture kafka)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task The_api_serves_the_latest_update_of_every_url_and_window_agreeing_with_the_live_queries_and_refuses_bad_parameters_with_a_message()
    {
        var run = await ProcessorRun.CreateAsync(kafka, partitions: 4);
        var input = InputStream.Generate(seed: 141, count: 3_000, urls: 30);
        input.Produce(kafka.Client, run.Settings.InputTopic);
        var port = TestPorts.Free(1)[0];
        var node = $"http://127.0.0.1:{port}";
        using var child = ChildProcessor.Start(run, ["--http-port", $"{port}"]);
        await Eventually.HoldsAsync(() => child.Running && run.Lag() == 0, TimeSpan.FromSeconds(90), () => $"caught up (lag {run.Lag()})");

        var expected = NodeQueries.LastOutputs(run);
        var urls = input.Valid.Select(v => v.Visit.Url).Distinct().Order(StringComparer.Ordinal).ToList();
        var windows = run.Settings.Windows.Windows;
        // The dashboard reads the window topics on its own: it has them all once every URL's answer is the last update.
        await Eventually.HoldsAsync(() => urls.All(url =>
        {
            var answer = Get($"{node}/api/urls?url={Uri.EscapeDataString(url)}");
            return windows.All(w => Window(answer, w.Name).GetProperty("count").GetInt32() == expected.GetValueOrDefault((url, w.Name)));
        }), TimeSpan.FromSeconds(30), "every URL's counts in /api/urls are its last updates in the window topics");
        await NodeQueries.AssertAnswersAsync(Http, node, urls, expected, run.Settings.Windows, TimeSpan.FromSeconds(30));

        foreach (var window in windows)
        {
            var top = Get($"{node}/api/top?window={window.Name}&n=1000");
            var shown = top.GetProperty("urls").EnumerateArray().Select(u => (u.GetProperty("url").GetString()!, u.GetProperty("count").GetInt32())).ToList();
            var wanted = expected.Where(e => e.Key.Window == window.Name && e.Value > 0)
                .OrderByDescending(e => e.Value).ThenBy(e => e.Key.Url, StringComparer.Ordinal).Select(e => (e.Key.Url, e.Value)).ToList();
            Assert.Equal(wanted, shown);
            Assert.Equal(window.Seconds, top.GetProperty("seconds").GetInt32());
            Assert.Equal(Math.Min(3, wanted.Count), Get($"{node}/api/top?window={window.Name}&n=3").GetProperty("urls").GetArrayLength());
        }

        var pipeline = Get($"{node}/api/pipeline");
        Assert.Equal(input.Late.Count, pipeline.GetProperty("late").GetInt64());
        Assert.Equal(input.Bad.Count, pipeline.GetProperty("deadLetters").GetInt64());
        foreach (var reason in input.Bad.GroupBy(b => b.Code))
            Assert.Equal(reason.Count(), pipeline.GetProperty("deadLettersByReason").GetProperty(reason.Key).GetInt64());
        var partitions = pipeline.GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2, 3], partitions.Select(p => p.GetProperty("partition").GetInt32()));
        Assert.All(partitions, p => Assert.False(p.GetProperty("rebuilding").GetBoolean()));

        // The event stream: a picture now, and the followed URL's counts with it.
        var followed = urls[0];
        var events = await ReadEventsAsync($"{node}/api/events?url={Uri.EscapeDataString(followed)}", ["snapshot", "url"]);
        Assert.Equal(windows.Select(w => w.Name), events["snapshot"].GetProperty("windows").EnumerateArray().Select(w => w.GetProperty("window").GetString()));
        Assert.Equal(4, events["snapshot"].GetProperty("pipeline").GetProperty("partitions").GetArrayLength());
        Assert.Equal(followed, events["url"].GetProperty("url").GetString());
        foreach (var window in windows)
            Assert.Equal(expected.GetValueOrDefault((followed, window.Name)), Window(events["url"], window.Name).GetProperty("count").GetInt32());

        var page = await Http.GetAsync($"{node}/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/dashboard/app.js", await page.Content.ReadAsStringAsync());
        foreach (var asset in new[] { "app.js", "style.css" })
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync($"{node}/dashboard/{asset}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{node}/dashboard/secrets.json")).StatusCode);

        foreach (var (path, message) in new[]
                 {
                     ("/api/top", "missing query parameter 'window'"),
                     ("/api/top?window=7s", "unknown window '7s' (one of 30s, 1mn, 5mn)"),
                     ("/api/top?window=30s&n=0", "'n' must be a whole number from 1 to 1000"),
                     ("/api/top?window=30s&n=abc", "'n' must be a whole number from 1 to 1000"),
                     ("/api/top?window=30s&n=99999999999", "'n' must be a whole number from 1 to 1000"),
                     ("/api/urls", "missing the URL"),
                     ($"/api/urls?url=/{new string('a', 3000)}", "URL longer than 2048 characters"),
                     ($"/api/events?url=/{new string('a', 3000)}", "URL longer than 2048 characters"),
                 })
        {
            var response = await Http.GetAsync(node + path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(message, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
            Assert.DoesNotContain("Exception", body);
            Assert.DoesNotContain(" at ", body);
        }

        // Any URL the processor counts can be asked for, not only those starting with '/' (zeros: never visited).
        var relative = Get($"{node}/api/urls?url={Uri.EscapeDataString("store/tv")}");
        Assert.Equal("store/tv", relative.GetProperty("url").GetString());
        Assert.All(windows, w => Assert.Equal(0, Window(relative, w.Name).GetProperty("count").GetInt32()));

        // A page left open must not hold the stop back: the node ends its event stream, drains, commits and exits 0
        // (Kestrel stops first and used to wait for the stream until the host's stop time-out, then the drain was cut).
        using var open = await Http.GetAsync($"{node}/api/events", HttpCompletionOption.ResponseHeadersRead);
        using var stream = new StreamReader(await open.Content.ReadAsStreamAsync());
        Assert.StartsWith("retry:", await stream.ReadLineAsync());
        child.Signal("TERM");
        await Eventually.CompletesAsync(stream.ReadToEndAsync(), TimeSpan.FromSeconds(30), "the open event stream ended by the node");
        await Eventually.CompletesAsync(child.WaitForExitAsync(), TimeSpan.FromSeconds(30), "exit after SIGTERM");
        var log = await child.StandardError;
        Assert.True(child.ExitCode == 0, log);
        Assert.DoesNotContain("did not stop", log);
        Assert.Contains("Stopped after draining and committing", log);
    }

    private static JsonElement Get(string address)
    {
        var response = Http.GetAsync(address).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"{address}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static JsonElement Window(JsonElement answer, string window) =>
        answer.GetProperty("windows").EnumerateArray().Single(w => w.GetProperty("window").GetString() == window);

    /// <summary>Reads a Server-Sent Events stream until one event of each of <paramref name="names"/> has come.</summary>
    private static async Task<Dictionary<string, JsonElement>> ReadEventsAsync(string address, string[] names)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await Http.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        var events = new Dictionary<string, JsonElement>();
        string? name = null;
        while (events.Count < names.Length && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null && names.Contains(name))
                events[name] = JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
        }
        return events;
    }
}
