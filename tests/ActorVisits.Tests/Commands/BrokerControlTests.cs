using System.Diagnostics;
using System.Net;
using System.Text;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Commands;

/// <summary>
/// `actorvisits broker`'s control port takes fault plans from `actorvisits faults`, not from a web page: any page open in
/// a browser on the machine can send a cross-site POST to a loopback port, and the browser names the page's origin.
/// </summary>
public sealed class BrokerControlTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task The_control_port_takes_a_plan_from_the_faults_command_and_refuses_one_from_a_web_page()
    {
        var control = TestPorts.Free(1)[0];
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { ChildProcessor.Program, "broker", "--port", "0", "--control-port", $"{control}" } };
        using var broker = ChildProcessor.Launch(start, ChildProcessor.WriteConfig(""));
        var address = $"http://127.0.0.1:{control}/faults";

        HttpStatusCode? fromTool = null;
        await Eventually.HoldsAsync(() =>
        {
            _ = broker.Running;
            using var answer = Post(address, origin: null);
            fromTool = answer.StatusCode;
            return true;
        }, TimeSpan.FromSeconds(60), "the control port answers");
        Assert.Equal(HttpStatusCode.Accepted, fromTool);

        using var fromPage = Post(address, origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, fromPage.StatusCode);
        Assert.Contains("not taken from web pages", await fromPage.Content.ReadAsStringAsync());
    }

    private static HttpResponseMessage Post(string address, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent("at 0s: rtt 1 1ms for 1s", Encoding.UTF8, "text/plain") };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return Http.Send(request);
    }
}
