using Confluent.Kafka;

namespace ActorVisits.Kafka.Admin;

/// <summary>
/// Finds the first offset whose record timestamp is at or after a time by binary search over the partition, reading one
/// record per step. Used where the brokers cannot answer ListOffsets by timestamp (the librdkafka mock always says -1).
/// Assumes timestamps grow with offsets, as producer create-times do for one producer.
/// </summary>
internal static class TimestampSearch
{
    public static TopicPartitionOffset FirstOffsetAtOrAfter(IConsumer<byte[], byte[]> consumer, TopicPartition partition, DateTimeOffset time, TimeSpan timeout)
    {
        var watermarks = consumer.QueryWatermarkOffsets(partition, timeout);
        long low = watermarks.Low.Value, high = watermarks.High.Value;
        var wanted = time.ToUnixTimeMilliseconds();
        // The first record first: a replay usually starts before everything retained (a window longer than what the
        // partition holds), which one read answers where the search takes about log2(records) reads.
        // No record at or after an offset (only transaction markers up to the end) counts as one stamped after the time.
        var oldest = long.MinValue;
        if (low < high)
        {
            if (ReadAt(consumer, partition, low, timeout) is not { } first || first.TimestampMs >= wanted)
                high = low;
            else
                (low, oldest) = (first.Offset + 1, first.TimestampMs);
        }
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (ReadAt(consumer, partition, middle, timeout) is not { } found)
                high = middle;
            // A record stamped before the partition's first one breaks the growing order (a producer stamped it so, such
            // as 1970): the search goes left of it, so that a replay starts too early (reads more), never too late.
            else if (found.TimestampMs >= wanted || found.TimestampMs < oldest)
                high = Math.Min(middle, found.Offset);
            else
                low = found.Offset + 1;
        }
        consumer.Unassign();
        return new TopicPartitionOffset(partition, low);
    }

    /// <summary>
    /// The first record at or after <paramref name="offset"/>: its offset and timestamp. Null when a consumer with
    /// <c>enable.partition.eof</c> reaches the end of the partition first: nothing from there on is a record (a
    /// transaction's marker, a compacted gap, the end itself). Leaves the partition assigned.
    /// </summary>
    public static (long Offset, long TimestampMs)? ReadAt(IConsumer<byte[], byte[]> consumer, TopicPartition partition, long offset, TimeSpan timeout)
    {
        consumer.Assign(new TopicPartitionOffset(partition, offset));
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            ConsumeResult<byte[], byte[]>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // A fetch that failed (a broker gone or slow): librdkafka retries it until the deadline.
                continue;
            }
            // Only a record (or an end) at or after the offset asked for: one fetched for an earlier assignment is not the answer.
            if (record is null || record.TopicPartition != partition || record.Offset.Value < offset)
                continue;
            if (record.IsPartitionEOF)
                return null;
            return (record.Offset.Value, record.Message.Timestamp.UnixTimestampMs);
        }
        throw new TimeoutException($"No record could be read from {partition} at offset {offset} within {timeout.TotalSeconds:0} s.");
    }
}
