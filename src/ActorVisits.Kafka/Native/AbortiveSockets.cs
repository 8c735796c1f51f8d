using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ActorVisits.Kafka.Native;

/// <summary>
/// Opens librdkafka's broker connections so that closing one resets it (<c>SO_LINGER</c> 0) instead of leaving what it
/// had not sent to the kernel. A producer that dies, or is cut off from the brokers and then stops, would otherwise
/// leave produce requests in its kernel's send buffer, which the kernel keeps retransmitting after the process is gone:
/// once the network heals they land after the updates of the partitions' next owners. A graceful stop flushes first,
/// so nothing it produced is lost by the reset. Linux only (the socket callback's signature is platform-specific).
/// </summary>
internal static unsafe partial class AbortiveSockets
{
    private const int SolSocket = 1;
    private const int SoLinger = 13;
    private const int SockCloexec = 0x80000;

    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>librdkafka's <c>socket_cb</c>: a close-on-exec socket with <c>SO_LINGER</c> {on, 0 s}; -1 and errno on failure.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Open(int domain, int type, int protocol, IntPtr opaque)
    {
        var socket = Socket(domain, type | SockCloexec, protocol);
        if (socket < 0)
        {
            // librdkafka reads errno once this returns.
            Marshal.SetLastSystemError(Marshal.GetLastPInvokeError());
            return -1;
        }
        // A socket whose option could not be set still works; it only closes as before.
        var linger = stackalloc int[] { 1, 0 };
        _ = SetSocketOption(socket, SolSocket, SoLinger, linger, sizeof(int) * 2);
        return socket;
    }

    /// <summary>Whether <paramref name="socket"/> resets on close (<c>SO_LINGER</c> on, 0 s).</summary>
    public static bool ResetsOnClose(int socket)
    {
        var linger = stackalloc int[2];
        var length = (uint)(sizeof(int) * 2);
        return GetSocketOption(socket, SolSocket, SoLinger, linger, &length) == 0 && linger[0] != 0 && linger[1] == 0;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSocketOption(int socket, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSocketOption(int socket, int level, int name, void* value, uint* length);
}
