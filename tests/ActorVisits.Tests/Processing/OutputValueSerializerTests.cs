using System.Text;
using ActorVisits.Entities.Windows;
using ActorVisits.Processing;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

public sealed class OutputValueSerializerTests
{
    private static readonly SerializationContext Context = new(MessageComponentType.Value, "visits_30s");
    private const long Now = 1_551_518_465;

    [Fact]
    public void An_update_is_written_as_its_json_for_its_partition_and_generation()
    {
        var update = new WindowUpdate("/store/tech/tv", WindowSet.Default[0], 42, Now, InputOffset: 1234);
        var written = OutputValueSerializer.Instance.Serialize(OutputValue.Of(update, inputPartition: 2, generation: 7), Context);
        Assert.Equal(WindowUpdateJson.Serialize(update, inputPartition: 2, generation: 7), written);
    }

    [Fact]
    public void Each_update_is_right_at_the_time_it_is_written_even_when_its_array_is_reused()
    {
        // Same length, different content: the second reuses the first's array, which librdkafka has copied by then.
        var first = new WindowUpdate("/a", WindowSet.Default[0], 1, Now);
        var second = new WindowUpdate("/b", WindowSet.Default[0], 2, Now);
        var firstText = Encoding.UTF8.GetString(OutputValueSerializer.Instance.Serialize(OutputValue.Of(first, 0, 1), Context)!);
        var secondText = Encoding.UTF8.GetString(OutputValueSerializer.Instance.Serialize(OutputValue.Of(second, 0, 1), Context)!);
        Assert.Equal(Encoding.UTF8.GetString(WindowUpdateJson.Serialize(first, 0, 1)), firstText);
        Assert.Equal(Encoding.UTF8.GetString(WindowUpdateJson.Serialize(second, 0, 1)), secondText);
    }

    [Fact]
    public void A_long_update_gets_an_array_of_its_own()
    {
        var update = new WindowUpdate("/" + new string('x', 3000), WindowSet.Default[2], 5, Now);
        var once = OutputValueSerializer.Instance.Serialize(OutputValue.Of(update, 0, 1), Context);
        var twice = OutputValueSerializer.Instance.Serialize(OutputValue.Of(update, 0, 1), Context);
        Assert.Equal(WindowUpdateJson.Serialize(update, 0, 1), once);
        Assert.NotSame(once, twice);
    }

    [Fact]
    public void Bytes_pass_as_they_are_and_a_missing_value_stays_missing()
    {
        byte[] bytes = [1, 2, 3];
        Assert.Same(bytes, OutputValueSerializer.Instance.Serialize(OutputValue.Of(bytes), Context));
        Assert.Null(OutputValueSerializer.Instance.Serialize(OutputValue.Of((byte[]?)null), Context));
    }
}
