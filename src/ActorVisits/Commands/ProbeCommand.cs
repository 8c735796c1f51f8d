using System.CommandLine;

namespace ActorVisits.Commands;

/// <summary>
/// An HTTP health probe for images without curl: exit 0 when the URL answers 2xx, 1 otherwise (the answer printed).
/// Compose health-checks the processor nodes with it.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "What to probe, e.g. http://127.0.0.1:8080/healthz/ready." };
        var timeout = Durations.Option("--timeout", "Longest wait for the answer (default 3s).");
        var command = new Command("probe", "Exit 0 when an HTTP endpoint answers 2xx (a health check for containers), 1 otherwise.") { url, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient { Timeout = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(3) };
            try
            {
                using var answer = await http.GetAsync(parse.GetValue(url), cancellationToken);
                var body = await answer.Content.ReadAsStringAsync(cancellationToken);
                Console.WriteLine($"{(int)answer.StatusCode} {body}");
                return answer.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
            {
                Console.WriteLine($"no answer: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
