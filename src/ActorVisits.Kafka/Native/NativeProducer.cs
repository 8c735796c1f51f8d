using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ActorVisits.Kafka.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ActorVisits.Kafka.Native;

/// <summary>Told of every record a <see cref="NativeProducer"/> was handed, once librdkafka has its outcome; called on the producer's poll thread, must not throw.</summary>
internal interface IDeliveryListener
{
    void OnDelivered(NativeDeliveryReport report);
}

/// <summary>
/// librdkafka's delivery report of one record, read in place (valid during <see cref="IDeliveryListener.OnDelivered"/>
/// only). <see cref="Error"/> is <see cref="ErrorCode.NoError"/> once the record is acknowledged as the producer's
/// <c>acks</c> ask (with acks=all: by every in-sync replica).
/// </summary>
internal readonly unsafe ref struct NativeDeliveryReport(IntPtr message)
{
    private ref readonly Librdkafka.Message Message => ref *(Librdkafka.Message*)message;

    /// <summary>What the record was produced with.</summary>
    public IntPtr RecordOpaque => Message.Private;
    public ErrorCode Error => (ErrorCode)Message.Error;
    public int Partition => Message.Partition;
    public long Offset => Message.Offset;
    public PersistenceStatus Status => (PersistenceStatus)Librdkafka.rd_kafka_message_status(message);

    public Timestamp Timestamp => Librdkafka.TimestampOf(message);
}

/// <summary>
/// A librdkafka producer driven through its C API: records are handed over with <c>rd_kafka_produceva</c> (librdkafka
/// copies key and value before it returns) and every delivery report reaches an <see cref="IDeliveryListener"/> as
/// librdkafka's own struct with the record's opaque. Confluent.Kafka's producer makes about eight .NET objects per
/// record for a delivery report, even a status-only one (a report, a message, an error, a shim, a GC handle...);
/// this one makes none. Delivery semantics are librdkafka's, configured by the same properties (acks, idempotence,
/// retries); only Confluent.Kafka's own <c>dotnet.*</c> properties have no meaning here and are left out.
/// One thread polls for reports and logs; <see cref="Produce"/> and <see cref="TopicHandle"/> belong to one caller thread.
/// </summary>
internal sealed unsafe class NativeProducer : IDisposable
{
    private const int PollTimeoutMs = 100;
    private const int ErrorTextSize = 512;
    private const int RdKafkaProducer = 0;
    private const int FatalError = -150;
    private const int ShortHeaderNameBytes = 256;

    private readonly IDeliveryListener _listener;
    private readonly Action<LogMessage> _log;
    private readonly Dictionary<string, IntPtr> _topics = new(StringComparer.Ordinal);
    private readonly Thread _pollThread;
    private GCHandle _self;
    private IntPtr _handle;
    private volatile bool _stopping;

    private NativeProducer(IDeliveryListener listener, Action<LogMessage> log)
    {
        _listener = listener;
        _log = log;
        _pollThread = new Thread(Poll) { IsBackground = true };
    }

    /// <summary>librdkafka's name for this client (as in its log lines), e.g. <c>rdkafka#producer-3</c>.</summary>
    public string Name { get; private set; } = "";

    /// <summary>
    /// A running producer of <paramref name="config"/>; throws <see cref="InvalidConfigurationException"/> naming a
    /// property librdkafka does not accept (a secret property's value is never repeated).
    /// </summary>
    public static NativeProducer Create(IEnumerable<KeyValuePair<string, string>> config, IDeliveryListener listener)
    {
        Librdkafka.EnsureBound();
        var producer = new NativeProducer(listener, KafkaLog.Writer(config));
        var conf = Librdkafka.rd_kafka_conf_new();
        try
        {
            if (PropertyCheck.ApplyTo(conf, config) is var (key, value, reason))
                throw ClientProperties.Refused(key, value, reason, name => $"Client property '{name}'");
            producer._self = GCHandle.Alloc(producer);
            Librdkafka.rd_kafka_conf_set_opaque(conf, GCHandle.ToIntPtr(producer._self));
            Librdkafka.rd_kafka_conf_set_dr_msg_cb(conf, &OnDeliveryReport);
            Librdkafka.rd_kafka_conf_set_log_cb(conf, &OnLog);
            Librdkafka.rd_kafka_conf_set_error_cb(conf, &OnError);
            if (AbortiveSockets.Supported)
                Librdkafka.rd_kafka_conf_set_socket_cb(conf, &AbortiveSockets.Open);
        }
        catch
        {
            Librdkafka.rd_kafka_conf_destroy(conf);
            if (producer._self.IsAllocated)
                producer._self.Free();
            throw;
        }
        // On success rd_kafka_new owns the configuration; on failure it is still ours.
        var errorText = new byte[ErrorTextSize];
        producer._handle = Librdkafka.rd_kafka_new(RdKafkaProducer, conf, errorText, (nuint)errorText.Length);
        if (producer._handle == IntPtr.Zero)
        {
            Librdkafka.rd_kafka_conf_destroy(conf);
            producer._self.Free();
            throw new InvalidConfigurationException($"librdkafka could not create a producer: {Librdkafka.ErrorText(errorText)}");
        }
        producer.Name = Marshal.PtrToStringUTF8(Librdkafka.rd_kafka_name(producer._handle)) ?? "producer";
        producer._pollThread.Name = $"poll {producer.Name}";
        producer._pollThread.Start();
        return producer;
    }

    /// <summary>librdkafka's handle of <paramref name="topic"/>, made once per topic (naming the topic on every record makes librdkafka look it up).</summary>
    public IntPtr TopicHandle(string topic)
    {
        if (_topics.TryGetValue(topic, out var handle))
            return handle;
        handle = Librdkafka.rd_kafka_topic_new(_handle, topic, IntPtr.Zero);
        if (handle == IntPtr.Zero)
            throw new KafkaException(new Error(ErrorCode.TopicException, $"librdkafka refused the topic name '{topic}'"));
        _topics[topic] = handle;
        return handle;
    }

    /// <summary>
    /// Hands one record to librdkafka, which copies <paramref name="key"/>, <paramref name="value"/> and the headers
    /// before returning (so they may be reused buffers). A default span is a null key or value, an empty one is empty.
    /// <paramref name="timestampMs"/> 0 means the time of producing. Returns the error that kept the record out (for
    /// instance <see cref="ErrorCode.Local_QueueFull"/>) with librdkafka's words, or null once it is queued.
    /// </summary>
    public Error? Produce(IntPtr topic, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long timestampMs, Headers? headers, IntPtr recordOpaque)
    {
        var headerCount = headers?.Count ?? 0;
        var arguments = stackalloc Librdkafka.ProduceArgument[8];
        var count = 0;
        arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.TopicHandle, Pointer = topic };
        arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Partition, Int32 = Librdkafka.PartitionUnassigned };
        arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.MessageFlags, Int32 = Librdkafka.MessageFlagCopy };
        arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Opaque, Pointer = recordOpaque };
        if (timestampMs != 0)
            arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Timestamp, Int64 = timestampMs };
        // Pinned through the span's reference, not its (null when empty) pinnable one: empty must stay empty, not become null.
        fixed (byte* keyBytes = &MemoryMarshal.GetReference(key))
        fixed (byte* valueBytes = &MemoryMarshal.GetReference(value))
        {
            arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Key, Pointer = (IntPtr)keyBytes, Size = (nuint)key.Length };
            arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Value, Pointer = (IntPtr)valueBytes, Size = (nuint)value.Length };
            if (headerCount == 0)
                return ProduceWith(arguments, count, IntPtr.Zero);
            var headerList = HeaderList(headers!);
            arguments[count++] = new() { Type = Librdkafka.ProduceArgumentType.Headers, Pointer = headerList };
            return ProduceWith(arguments, count, headerList);
        }
    }

    /// <summary>
    /// The headers as librdkafka's own list, each name and value copied with its length (a name may hold any
    /// character, NUL included, as a dead letter's copied headers can). A record that is queued owns the list.
    /// </summary>
    private static IntPtr HeaderList(Headers headers)
    {
        var list = Librdkafka.rd_kafka_headers_new((nuint)headers.Count);
        Span<byte> shortName = stackalloc byte[ShortHeaderNameBytes];
        foreach (var header in headers)
        {
            var length = Encoding.UTF8.GetByteCount(header.Key);
            var name = length <= shortName.Length ? shortName[..length] : new byte[length];
            Encoding.UTF8.GetBytes(header.Key, name);
            // As for keys and values: an empty header value stays empty, only a missing one is null.
            ReadOnlySpan<byte> value = header.GetValueBytes();
            fixed (byte* nameBytes = &MemoryMarshal.GetReference(name))
            fixed (byte* valueBytes = &MemoryMarshal.GetReference(value))
                Librdkafka.rd_kafka_header_add(list, nameBytes, length, valueBytes, value.Length);
        }
        return list;
    }

    private Error? ProduceWith(Librdkafka.ProduceArgument* arguments, int count, IntPtr headerList)
    {
        var error = Librdkafka.rd_kafka_produceva(_handle, arguments, (nuint)count);
        if (error == IntPtr.Zero)
            return null;
        // Refused: the header list is still ours.
        if (headerList != IntPtr.Zero)
            Librdkafka.rd_kafka_headers_destroy(headerList);
        try
        {
            return new Error((ErrorCode)Librdkafka.rd_kafka_error_code(error), Marshal.PtrToStringUTF8(Librdkafka.rd_kafka_error_string(error)));
        }
        finally
        {
            Librdkafka.rd_kafka_error_destroy(error);
        }
    }

    /// <summary>
    /// The error of a failed delivery report, with librdkafka's words; for a record failed because the producer hit a
    /// fatal error (<see cref="ErrorCode.Local_Fatal"/>), that fatal error's own code and reason, marked fatal.
    /// </summary>
    public Error ErrorOf(ErrorCode reported)
    {
        if (reported != ErrorCode.Local_Fatal)
            return new Error(reported);
        var reason = new byte[ErrorTextSize];
        var code = (ErrorCode)Librdkafka.rd_kafka_fatal_error(_handle, reason, (nuint)reason.Length);
        return new Error(code == ErrorCode.NoError ? reported : code, $"fatal: {Librdkafka.ErrorText(reason)}", isFatal: true);
    }

    /// <summary>
    /// Drops the records not yet sent to a broker (each reported as purged); those sent already are not touched, so
    /// that their acknowledgements still come.
    /// </summary>
    public void PurgeUnsent() => Librdkafka.rd_kafka_purge(_handle, Librdkafka.PurgeQueued);

    /// <summary>Waits up to <paramref name="timeout"/> for every record handed over to be reported; false if some are still out.</summary>
    public bool Flush(TimeSpan timeout) => Librdkafka.rd_kafka_flush(_handle, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue)) == 0;

    private void Poll()
    {
        while (!_stopping)
            Librdkafka.rd_kafka_poll(_handle, PollTimeoutMs);
    }

    /// <summary>
    /// Stops polling and destroys the client: records not yet reported are dropped without a report (flush first to
    /// have them delivered). No callback runs once this returns.
    /// </summary>
    public void Dispose()
    {
        if (_handle == IntPtr.Zero)
            return;
        _stopping = true;
        _pollThread.Join();
        foreach (var topic in _topics.Values)
            Librdkafka.rd_kafka_topic_destroy(topic);
        _topics.Clear();
        Librdkafka.rd_kafka_destroy(_handle);
        _handle = IntPtr.Zero;
        _self.Free();
    }

    private static NativeProducer? Of(IntPtr opaque) => opaque == IntPtr.Zero ? null : GCHandle.FromIntPtr(opaque).Target as NativeProducer;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDeliveryReport(IntPtr rk, IntPtr message, IntPtr opaque)
    {
        // An exception must not cross into librdkafka's thread: it would end the process.
        try
        {
            Of(opaque)?._listener.OnDelivered(new NativeDeliveryReport(message));
        }
        catch (Exception e)
        {
            try
            {
                KafkaLog.Logger(typeof(NativeProducer).FullName!).LogError(e, "A delivery report could not be handed on");
            }
            catch
            {
                // Logging that fails (a logger factory disposed at shutdown) must not take librdkafka's thread down either.
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(IntPtr rk, int level, byte* facility, byte* text)
    {
        try
        {
            var producer = Of(Librdkafka.rd_kafka_opaque(rk));
            producer?._log(new LogMessage(producer.Name, (SyslogLevel)level,
                Marshal.PtrToStringUTF8((IntPtr)facility) ?? "", Marshal.PtrToStringUTF8((IntPtr)text) ?? ""));
        }
        catch
        {
            // Logging must never take librdkafka's thread down.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnError(IntPtr rk, int error, byte* reason, IntPtr opaque)
    {
        try
        {
            var producer = Of(opaque);
            if (producer is null)
                return;
            var text = Marshal.PtrToStringUTF8((IntPtr)reason) ?? "";
            var level = SyslogLevel.Warning;
            if (error == FatalError)
            {
                // Idempotence broken for good: every record still out is reported failed, so the flow using it fails too.
                var fatal = new byte[ErrorTextSize];
                var code = Librdkafka.rd_kafka_fatal_error(rk, fatal, (nuint)fatal.Length);
                text = $"fatal error {(ErrorCode)code}: {Librdkafka.ErrorText(fatal)}";
                level = SyslogLevel.Error;
            }
            producer._log(new LogMessage(producer.Name, level, "ERROR", $"{text} ({(ErrorCode)error})"));
        }
        catch
        {
            // As for logging.
        }
    }
}
