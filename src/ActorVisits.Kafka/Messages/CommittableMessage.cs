using Confluent.Kafka;

namespace ActorVisits.Kafka.Messages;

/// <summary>
/// A consumed record with what commits it once it has been processed. The record is as Confluent.Kafka's Consume gives
/// it, except that a record without headers has null <see cref="Message{TKey,TValue}.Headers"/>. Its
/// <see cref="CommittableOffset"/> is made when asked for, so that a stream committing only the last record of each
/// partition's run makes one offset per run, not one per record.
/// </summary>
public sealed class CommittableMessage<TKey, TValue>(ConsumeResult<TKey, TValue> record, TopicPartition topicPartition, long assignmentEpoch, IOffsetCommitter committer)
{
    public ConsumeResult<TKey, TValue> Record { get; } = record;

    /// <summary>The record's partition; one object shared by the records of one partition.</summary>
    public TopicPartition TopicPartition { get; } = topicPartition;

    /// <summary>The assignment of the partition the record was read under (see <see cref="Messages.CommittableOffset.AssignmentEpoch"/>).</summary>
    public long AssignmentEpoch { get; } = assignmentEpoch;

    /// <summary>The record's key, value and headers as read, in bytes: what it weighs in the consumer's buffer (and downstream).</summary>
    public int BufferedBytes { get; internal init; }

    /// <summary>This record's offset, committable through the consumer that read it; a new object on each call.</summary>
    public CommittableOffset CommittableOffset => CommittableOffsetFor(records: 1);

    /// <summary>
    /// This record's offset, counted by the committer as the offset of <paramref name="records"/> processed records:
    /// the run of this partition's records it ends (committing it commits them all).
    /// </summary>
    public CommittableOffset CommittableOffsetFor(int records) =>
        new(TopicPartition, Record.Offset, AssignmentEpoch, committer) { Records = records };
}
