using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActorVisits.Kafka.Embedded;

namespace ActorVisits.Commands;

/// <summary>Sends a fault plan to a running embedded broker (<c>actorvisits broker</c>) through its control port.</summary>
internal static class FaultsCommand
{
    public static Command Create()
    {
        var plan = new Argument<string>("plan")
        {
            Description = "Steps 'at <time>: <fault> [for <duration>]' separated by ';' or new lines, or @file; times count from now. " +
                          "Faults: down B | failover B | rtt B <time> | errors <Request> ERROR[*n][,...] | leader <topic> <partition|*> <broker|next> | coordinator <group> B.",
        };
        var broker = new Option<string>("--broker")
        {
            Description = "The embedded broker's control address.",
            DefaultValueFactory = _ => $"http://127.0.0.1:{BrokerCommand.DefaultControlPort}",
        };
        broker.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                result.AddError($"--broker must be an http:// address such as http://127.0.0.1:{BrokerCommand.DefaultControlPort} (got '{result.GetValueOrDefault<string>()}').");
        });
        var command = new Command("faults",
            "Inject faults into a running embedded broker ('actorvisits broker'): brokers down or failed over, slow brokers, failing requests, moved leaders. " +
            "Example: actorvisits faults \"at 0s: failover 2 for 10s; at 20s: errors OffsetCommit NOT_COORDINATOR*3\"")
        {
            plan, broker,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string text;
            try
            {
                text = BrokerCommand.ReadPlan(parse.GetValue(plan)!);
                FaultPlan.Parse(text);
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            using var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(broker)!), Timeout = TimeSpan.FromSeconds(10) };
            HttpResponseMessage answer;
            try
            {
                answer = await http.PostAsync("/faults", new StringContent(text, Encoding.UTF8, "text/plain"), cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Console.Error.WriteLine($"No embedded broker answers at {http.BaseAddress} ({e.Message}); start one with 'actorvisits broker'.");
                return 1;
            }
            JsonElement body;
            try
            {
                body = await answer.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            }
            catch (JsonException)
            {
                Console.Error.WriteLine($"{http.BaseAddress} answered {(int)answer.StatusCode} without the broker's JSON: is it the control port of 'actorvisits broker' (--control-port)?");
                return 1;
            }
            if (!answer.IsSuccessStatusCode)
            {
                Console.Error.WriteLine(body.TryGetProperty("error", out var error) ? error.GetString() : body.ToString());
                return 2;
            }
            Console.WriteLine($"Injecting: {string.Join("; ", body.GetProperty("steps").EnumerateArray().Select(s => s.GetString()))} " +
                              $"(over {body.GetProperty("lastsSeconds").GetDouble():0.#} s; the broker prints each step).");
            return 0;
        });
        return command;
    }
}
