using System.Text;
using ActorVisits.Entities;

namespace ActorVisits.Tests.Entities;

public sealed class KafkaPartitionerTests
{
    // The vectors of Kafka's own UtilsTest.testMurmur2 (Java client, org.apache.kafka.common.utils.Utils).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_the_java_client(string key, int expected) =>
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Partition_is_the_positive_hash_modulo_the_partition_count()
    {
        // toPositive(-790332482) = 1357151166; 1357151166 % 6 = 0, % 7 = 3.
        Assert.Equal(1357151166 % 6, KafkaPartitioner.PartitionFor("foobar"u8, 6));
        Assert.Equal(1357151166 % 7, KafkaPartitioner.PartitionFor("foobar"u8, 7));
    }
}
