using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Net;
using System.Net.Http.Json;
using ActorVisits.Http;

namespace ActorVisits.Commands;

/// <summary>Asks a running processor node for one URL's live counts, through its HTTP endpoint (any node of a cluster answers for any URL).</summary>
internal static class QueryCommand
{
    // A node answers 503 ("ask again") within 10 s when the URL's shard is slow; the default waits a little longer.
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var url = new Option<string>("--url", "-u")
        {
            Description = "The URL, as in the visits (e.g. /store/tech/tv).",
            Required = true,
        };
        var node = new Option<string>("--node", "-n")
        {
            Description = "HTTP address of any processor node (its --http-port).",
            DefaultValueFactory = _ => "http://127.0.0.1:8080",
        };
        var timeout = Durations.Option("--timeout", $"Longest wait for the node's answer (default {DefaultTimeout.TotalSeconds:0}s).");
        var command = new Command("query", "Show one URL's live visit counts in every window, from a running `process` node; on a cluster any node answers for any URL.")
        {
            url, node, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var asked = parse.GetValue(url)!;
            if (!Uri.TryCreate(parse.GetValue(node), UriKind.Absolute, out var nodeAddress) || nodeAddress.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine($"--node must be an http:// address such as http://127.0.0.1:8080 (got '{parse.GetValue(node)}').");
                return 2;
            }
            using var http = new HttpClient { BaseAddress = nodeAddress, Timeout = parse.GetValue(timeout) ?? DefaultTimeout };
            HttpResponseMessage response;
            try
            {
                response = await http.GetAsync($"urls?url={Uri.EscapeDataString(asked)}", cancellationToken);
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"No processor answers at {nodeAddress}: {e.Message}");
                return 1;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"No answer from {nodeAddress} within --timeout ({http.Timeout.TotalSeconds:0.###} s).");
                return 1;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    // A proxy in front of the nodes may answer 503 with a page of its own: then no reason is known.
                    UnavailableJson? answer;
                    try
                    {
                        answer = await response.Content.ReadFromJsonAsync<UnavailableJson>(cancellationToken);
                    }
                    catch (JsonException)
                    {
                        answer = null;
                    }
                    Console.Error.WriteLine($"{asked}: {answer?.Error ?? "not available now"}.");
                    return 3;
                }
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"{nodeAddress} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    return 1;
                }
                UrlCountsJson? counts;
                try
                {
                    counts = await response.Content.ReadFromJsonAsync<UrlCountsJson>(cancellationToken);
                }
                catch (JsonException)
                {
                    counts = null;
                }
                if (counts?.Windows is null)
                {
                    Console.Error.WriteLine($"{nodeAddress} answered {(int)response.StatusCode} with something other than an ActorVisits node's counts (a proxy?).");
                    return 1;
                }
                Console.WriteLine(counts.Url);
                Console.WriteLine($"{"window",-8}{"visits",10}{"per second",12}  window end");
                foreach (var window in counts.Windows)
                {
                    var end = window.WindowEnd?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-";
                    Console.WriteLine($"{window.Window,-8}{window.Count,10}{window.PerSecond.ToString("0.000", CultureInfo.InvariantCulture),12}  {end}");
                }
                return 0;
            }
        });
        return command;
    }

    private sealed record UnavailableJson(string Url, string Error);
}
