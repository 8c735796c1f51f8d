using ActorVisits.Entities.Windows;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// The value of a record the processor produces: bytes as they are (dead letters, late copies), or a window update,
/// written as JSON (<see cref="WindowUpdateJson"/>) only when it is produced, for the input partition and group
/// generation it carries.
/// </summary>
internal readonly record struct OutputValue(byte[]? Bytes, WindowUpdate? Update, int InputPartition, int Generation)
{
    public static OutputValue Of(byte[]? bytes) => new(bytes, null, -1, -1);

    public static OutputValue Of(WindowUpdate update, int inputPartition, int generation) => new(null, update, inputPartition, generation);
}

/// <summary>
/// Writes an <see cref="OutputValue"/>. An update is written into an array this thread reuses for every value of the
/// same length: the producer flow serializes a record just before handing it to librdkafka, which copies it
/// (<c>RD_KAFKA_MSG_F_COPY</c>) before the call returns, so the array is free again at once, and three updates per
/// visit allocate nothing. A value serialized otherwise (kept after the call) must not use this serializer.
/// </summary>
internal sealed class OutputValueSerializer : ISerializer<OutputValue>
{
    /// <summary>Updates longer than this (a URL of several KB) get an array of their own.</summary>
    private const int LongestReused = 2048;

    public static OutputValueSerializer Instance { get; } = new();

    [ThreadStatic]
    private static byte[]?[]? _byLength;

    public byte[]? Serialize(OutputValue data, SerializationContext context)
    {
        if (data.Update is not { } update)
            return data.Bytes;
        var json = WindowUpdateJson.Write(update, data.InputPartition, data.Generation);
        if (json.Length > LongestReused)
            return json.ToArray();
        var reused = _byLength ??= new byte[]?[LongestReused + 1];
        var array = reused[json.Length] ??= new byte[json.Length];
        json.CopyTo(array);
        return array;
    }
}
