using System.Net;
using System.Net.Sockets;

namespace ActorVisits.Kafka.Embedded;

/// <summary>
/// A TCP forwarder to one embedded broker: a fixed, well-known bootstrap address for brokers that bind random loopback
/// ports (clients then go to the addresses metadata names), or a broker's address on another interface, for clients in
/// other network namespaces (the broker then advertises it).
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
        var local = (IPEndPoint)listener.LocalEndpoint;
        Port = local.Port;
        Address = $"{local.Address}:{local.Port}";
        _acceptLoop = AcceptAsync();
    }

    public string Address { get; }

    public int Port { get; }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/>; throws <see cref="SocketException"/> when the port is taken.</summary>
    public static TcpForwarder Start(int port, string brokerAddress) => Start(IPAddress.Loopback, port, brokerAddress);

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (0: any free port); throws <see cref="SocketException"/> when it is taken.</summary>
    public static TcpForwarder Start(IPAddress address, int port, string brokerAddress)
    {
        var listener = new TcpListener(address, port);
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
