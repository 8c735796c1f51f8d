using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Commands;

/// <summary>`actorvisits query` against nodes that cannot answer: a clear message and exit code, never a stack trace.</summary>
public sealed class QueryCommandTests
{
    [Fact]
    public async Task A_node_that_accepts_but_never_answers_is_reported_after_the_timeout()
    {
        // Accepts connections (the kernel completes them) and never reads or writes: a node stuck before answering.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var (exitCode, _, errors) = await QueryAsync("--url", "/store/tech/tv", "--node", $"http://127.0.0.1:{port}", "--timeout", "1s");

        Assert.Equal(1, exitCode);
        Assert.Contains($"No answer from http://127.0.0.1:{port}/ within --timeout (1 s).", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Theory]
    [InlineData("503 Service Unavailable", 3, "/store/tech/tv: not available now.")]
    [InlineData("200 OK", 1, "answered 200 with something other than an ActorVisits node's counts")]
    public async Task A_proxy_page_instead_of_a_nodes_json_is_reported_in_one_line(string status, int expectedExit, string expected)
    {
        // A proxy or ingress in front of the nodes answers with an HTML page of its own.
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        var port = ((IPEndPoint)proxy.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var client = await proxy.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[8192];
            _ = await stream.ReadAsync(request);
            const string page = "<html><body>upstream unavailable</body></html>";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {page.Length}\r\nConnection: close\r\n\r\n{page}"));
        });

        var (exitCode, _, errors) = await QueryAsync("--url", "/store/tech/tv", "--node", $"http://127.0.0.1:{port}", "--timeout", "10s");
        await serving;

        Assert.Equal(expectedExit, exitCode);
        Assert.Contains(expected, errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task A_node_address_that_is_not_http_is_refused_naming_the_option()
    {
        var (exitCode, _, errors) = await QueryAsync("--url", "/store", "--node", "ftp://127.0.0.1:8080");

        Assert.Equal(2, exitCode);
        Assert.Contains("--node must be an http:// address", errors);
    }

    [Fact]
    public async Task A_timeout_that_is_not_a_positive_duration_is_refused()
    {
        var (exitCode, _, errors) = await QueryAsync("--url", "/store", "--timeout", "soon");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("'soon' is not a positive duration", errors);
    }

    [Theory]
    [InlineData("1200h")]
    [InlineData("1e300h")]
    public async Task A_timeout_longer_than_timers_take_is_refused_without_a_stack_trace(string timeout)
    {
        var (exitCode, _, errors) = await QueryAsync("--url", "/store", "--timeout", timeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"'{timeout}' is longer than 24 days", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> QueryAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actorvisits.dll"));
        start.ArgumentList.Add("query");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var query = Process.Start(start)!;
        var output = query.StandardOutput.ReadToEndAsync();
        var errors = query.StandardError.ReadToEndAsync();
        await Eventually.CompletesAsync(query.WaitForExitAsync(), TimeSpan.FromSeconds(30), "the query command exited");
        return (query.ExitCode, await output, await errors);
    }
}
