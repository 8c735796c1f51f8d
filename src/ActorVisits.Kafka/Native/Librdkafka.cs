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

    // The producer path of NativeProducer: librdkafka's own calls, so that a record and its delivery report make no .NET objects.

    [LibraryImport(Library)]
    public static unsafe partial void rd_kafka_conf_set_dr_msg_cb(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> deliveryReport);

    [LibraryImport(Library)]
    public static unsafe partial void rd_kafka_conf_set_log_cb(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, byte*, void> log);

    [LibraryImport(Library)]
    public static unsafe partial void rd_kafka_conf_set_socket_cb(IntPtr conf, delegate* unmanaged[Cdecl]<int, int, int, IntPtr, int> socket);

    [LibraryImport(Library)]
    public static unsafe partial void rd_kafka_conf_set_error_cb(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, IntPtr, void> error);

    [LibraryImport(Library)]
    public static partial void rd_kafka_conf_set_opaque(IntPtr conf, IntPtr opaque);

    [LibraryImport(Library)]
    public static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_opaque(IntPtr rk);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr rd_kafka_topic_new(IntPtr rk, string topic, IntPtr topicConf);

    [LibraryImport(Library)]
    public static partial void rd_kafka_topic_destroy(IntPtr rkt);

    [LibraryImport(Library)]
    public static unsafe partial IntPtr rd_kafka_produceva(IntPtr rk, ProduceArgument* arguments, nuint count);

    [LibraryImport(Library)]
    public static partial int rd_kafka_poll(IntPtr rk, int timeoutMs);

    [LibraryImport(Library)]
    public static partial int rd_kafka_flush(IntPtr rk, int timeoutMs);

    [LibraryImport(Library)]
    public static partial int rd_kafka_purge(IntPtr rk, int purgeFlags);

    /// <summary><c>RD_KAFKA_PURGE_F_QUEUE</c>: the records not yet sent to a broker.</summary>
    public const int PurgeQueued = 0x1;

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_headers_new(nuint initialCount);

    [LibraryImport(Library)]
    public static unsafe partial int rd_kafka_header_add(IntPtr headers, byte* name, nint nameSize, byte* value, nint valueSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_headers_destroy(IntPtr headers);

    [LibraryImport(Library)]
    public static partial int rd_kafka_error_code(IntPtr error);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_error_string(IntPtr error);

    [LibraryImport(Library)]
    public static partial void rd_kafka_error_destroy(IntPtr error);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_name(IntPtr rk);

    [LibraryImport(Library)]
    public static partial int rd_kafka_fatal_error(IntPtr rk, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial int rd_kafka_message_status(IntPtr message);

    [LibraryImport(Library)]
    public static unsafe partial long rd_kafka_message_timestamp(IntPtr message, int* timestampType);

    /// <summary>A message's timestamp and its type, as Confluent.Kafka states them (a delivery report's or a consumed record's).</summary>
    public static unsafe Timestamp TimestampOf(IntPtr message)
    {
        int type;
        var unixMs = rd_kafka_message_timestamp(message, &type);
        return new Timestamp(unixMs, (TimestampType)type);
    }

    // The consumer path of NativeRecord: a record read in place, on a Confluent.Kafka consumer's own handle.

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_consumer_poll(IntPtr rk, int timeoutMs);

    [LibraryImport(Library)]
    public static partial void rd_kafka_message_destroy(IntPtr message);

    [LibraryImport(Library)]
    public static partial int rd_kafka_message_headers(IntPtr message, out IntPtr headers);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_header_get_last(IntPtr headers, string name, out IntPtr value, out nuint size);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_err2str(int error);

    [LibraryImport(Library)]
    public static partial int rd_kafka_header_get_all(IntPtr headers, nuint index, out IntPtr name, out IntPtr value, out nuint size);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_topic_name(IntPtr rkt);

    [LibraryImport(Library)]
    public static partial int rd_kafka_message_leader_epoch(IntPtr message);

    /// <summary><c>rd_kafka_vu_t</c>: one argument of <see cref="rd_kafka_produceva"/>, a type and a 64-byte union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public unsafe struct ProduceArgument
    {
        [FieldOffset(0)] public ProduceArgumentType Type;
        [FieldOffset(8)] public IntPtr Pointer;
        [FieldOffset(8)] public int Int32;
        [FieldOffset(8)] public long Int64;
        [FieldOffset(16)] public nuint Size;
    }

    /// <summary><c>rd_kafka_vtype_t</c>.</summary>
    public enum ProduceArgumentType
    {
        End = 0,
        Topic = 1,
        TopicHandle = 2,
        Partition = 3,
        Value = 4,
        Key = 5,
        Opaque = 6,
        MessageFlags = 7,
        Timestamp = 8,
        Header = 9,
        Headers = 10,
    }

    /// <summary><c>RD_KAFKA_MSG_F_COPY</c>: librdkafka copies key and value before produce returns.</summary>
    public const int MessageFlagCopy = 0x2;

    /// <summary><c>RD_KAFKA_PARTITION_UA</c>: the configured partitioner picks the partition.</summary>
    public const int PartitionUnassigned = -1;

    /// <summary><c>rd_kafka_message_t</c>, as a delivery report carries it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public int Error;
        public IntPtr Topic;
        public int Partition;
        public IntPtr Payload;
        public nuint Length;
        public IntPtr Key;
        public nuint KeyLength;
        public long Offset;
        public IntPtr Private;
    }

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
