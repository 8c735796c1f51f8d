using System.Net;
using System.Net.Sockets;

namespace ActorVisits.Tests.Support;

public static class TestPorts
{
    /// <summary><paramref name="count"/> loopback ports free now (each bound once, then released).</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
