using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Native;

/// <summary>
/// P/Invoke into the very librdkafka that Confluent.Kafka loaded. Confluent.Kafka picks one of several builds shipped in
/// librdkafka.redist (on Debian 12 <c>centos8-librdkafka.so</c>, since the plain one needs libsasl2.so.3); binding to a
/// guessed file name could load a second, different copy, so the resolver asks the process which one is mapped.
/// </summary>
internal static partial class Librdkafka
{
    /// <summary>The name <c>[LibraryImport]</c>s use for the librdkafka Confluent.Kafka loaded (see <see cref="BindImports"/>).</summary>
    public const string Library = "librdkafka-loaded-by-confluent";

    static Librdkafka() => BindImports(typeof(Librdkafka).Assembly);

    private static readonly Lazy<string> LoadedPath = new(FindLoadedLibrary);

    /// <summary>Makes sure the static resolver is installed before the first native call.</summary>
    public static void EnsureBound() => _ = LoadedPath.Value;

    /// <summary>
    /// Resolves <see cref="Library"/> in <paramref name="assembly"/>'s imports to the very librdkafka Confluent.Kafka
    /// loaded (once per assembly): another assembly of ActorVisits binding more of its C API calls this first.
    /// </summary>
    public static void BindImports(System.Reflection.Assembly assembly) =>
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name == Library ? NativeLibrary.Load(LoadedPath.Value) : IntPtr.Zero);

    private static string FindLoadedLibrary()
    {
        // Forces Confluent.Kafka to load its native library, the same way it does before creating a client.
        _ = Confluent.Kafka.Library.Version;
        if (OperatingSystem.IsLinux())
        {
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length == 6 && Path.GetFileName(fields[5]).Contains("librdkafka", StringComparison.Ordinal))
                .Select(fields => fields[5].Trim())
                .FirstOrDefault();
            if (mapped is not null)
                return mapped;
        }
        throw new InvalidOperationException(
            "Could not find the librdkafka that Confluent.Kafka loaded (the embedded broker needs Linux and Confluent.Kafka's native library).");
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_get(IntPtr conf, string name, byte[] dest, ref nuint destSize);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_conf(IntPtr rk);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_consumer_group_metadata(IntPtr rk);

    [LibraryImport(Library)]
    public static partial int rd_kafka_consumer_group_metadata_generation_id(IntPtr groupMetadata);

    [LibraryImport(Library)]
    public static partial void rd_kafka_consumer_group_metadata_destroy(IntPtr groupMetadata);








    public static string ErrorText(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }

    /// <summary>The rd_kafka_t behind a Confluent.Kafka client; Confluent.Kafka keeps it on an internal property.</summary>
    public static IntPtr RawHandle(IClient client)
    {
        var property = client.Handle.GetType().GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("This Confluent.Kafka version does not expose its librdkafka handle.");
        var safeHandle = (SafeHandle)property.GetValue(client.Handle)!;
        return safeHandle.DangerousGetHandle();
    }
}
