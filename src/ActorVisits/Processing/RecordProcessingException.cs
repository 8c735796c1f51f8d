using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// Handling one record threw and <c>on-record-error = stop</c>: the stream stops at that record, so neither it nor
/// anything read after it is committed.
/// </summary>
public sealed class RecordProcessingException(TopicPartitionOffset record, string error)
    : Exception($"Handling the record at {record.Topic}[{record.Partition.Value}]@{record.Offset.Value} threw {error}. " +
                "actorvisits.processor.on-record-error = stop: the processor stops; nothing from this record on is committed.")
{
    public TopicPartitionOffset Record { get; } = record;
}
