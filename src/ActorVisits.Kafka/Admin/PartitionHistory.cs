using Confluent.Kafka;

namespace ActorVisits.Kafka.Admin;

/// <summary>Finding records of a partition's past by time, the same against a real cluster and the embedded broker.</summary>
public static class PartitionHistory
{
    /// <summary>
    /// The first offset whose record timestamp is at or after <paramref name="time"/> (the end offset when there is none):
    /// the brokers' time index, or, where it answers nothing (the embedded broker always does), a binary search.
    /// </summary>
    public static long FirstOffsetAtOrAfter(IConsumer<byte[], byte[]> consumer, TopicPartition partition, DateTimeOffset time, TimeSpan timeout)
    {
        var indexed = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(time))], timeout).Single().Offset;
        return indexed != Offset.End ? indexed.Value : TimestampSearch.FirstOffsetAtOrAfter(consumer, partition, time, timeout).Offset.Value;
    }

    /// <summary>
    /// The record at <paramref name="offset"/> (or the first one after it): its offset and timestamp, the nearest time
    /// that exists for one stamped outside years 1 to 9999. Null when the consumer (with <c>enable.partition.eof</c>)
    /// reaches the partition's end first. Leaves the partition assigned.
    /// </summary>
    public static (long Offset, DateTimeOffset Timestamp)? RecordAt(IConsumer<byte[], byte[]> consumer, TopicPartition partition, long offset, TimeSpan timeout) =>
        TimestampSearch.ReadAt(consumer, partition, offset, timeout) is { } found ? (found.Offset, KafkaTime.Clamped(found.TimestampMs)) : null;
}
