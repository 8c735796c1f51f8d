using System.Text;
using Confluent.Kafka;

namespace ActorVisits.Kafka.Native;

/// <summary>Reads a property back from a running client's librdkafka configuration, after librdkafka applied its rules.</summary>
public static class EffectiveConfig
{
    public static string? Get(IClient client, string property)
    {
        Librdkafka.EnsureBound();
        var conf = Librdkafka.rd_kafka_conf(Librdkafka.RawHandle(client));
        var buffer = new byte[512];
        var size = (nuint)buffer.Length;
        var result = Librdkafka.rd_kafka_conf_get(conf, property, buffer, ref size);
        GC.KeepAlive(client);
        return result == 0 ? Encoding.UTF8.GetString(buffer, 0, Math.Max(0, (int)size - 1)) : null;
    }
}
