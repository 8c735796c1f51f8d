using System.Net;
using System.Net.Sockets;

namespace ActorVisits.Kafka.Embedded;

/// <summary>
/// A fixed, well-known bootstrap address for the embedded brokers, which bind random ports: a loopback TCP forwarder to
/// one broker. Clients only bootstrap through it; metadata then sends them straight to every broker's own port.
/// </summary>
internal sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    private TcpForwarder(TcpListener listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        Address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        _acceptLoop = AcceptAsync();
    }

    public string Address { get; }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/>; throws <see cref="SocketException"/> when the port is taken.</summary>
    public static TcpForwarder Start(int port, string brokerAddress)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return new TcpForwarder(listener, IPEndPoint.Parse(brokerAddress));
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var broker = new TcpClient())
        {
            try
            {
                client.NoDelay = broker.NoDelay = true;
                await broker.ConnectAsync(_target, _stopping.Token);
                var clientStream = client.GetStream();
                var brokerStream = broker.GetStream();
                // Whichever side closes first ends the connection, as a direct connection would.
                await Task.WhenAny(
                    clientStream.CopyToAsync(brokerStream, _stopping.Token),
                    brokerStream.CopyToAsync(clientStream, _stopping.Token));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stopping.Dispose();
    }
}
