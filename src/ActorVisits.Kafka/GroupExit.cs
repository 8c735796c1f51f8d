using Confluent.Kafka;

namespace ActorVisits.Kafka;

/// <summary>
/// Gives a group member's partitions up before it closes: unsubscribes and serves the revocation (and any assignment
/// queued before it) on the calling thread, the consumer's own, while the group is alive. Left to Close, a rebalance
/// still queued is served while the group terminates, and librdkafka can leave the rebalance callback's own requests
/// unanswered, so that Close never returns (cooperative protocol; librdkafka issue 4884).
/// </summary>
internal static class GroupExit
{
    /// <summary>
    /// Unsubscribes, then calls <paramref name="poll"/> (which serves the rebalance callbacks; records it returns are
    /// not handed out, their next owner reads them) until no partition is assigned or <paramref name="within"/> has
    /// passed. An error event is ignored: Close follows either way. Another <see cref="KafkaException"/> of a poll
    /// (Confluent.Kafka's own assign or unassign failed) goes to <paramref name="failed"/>.
    /// </summary>
    public static void ReleasePartitions<TKey, TValue>(IConsumer<TKey, TValue> consumer, Action poll, TimeSpan within, Action<KafkaException> failed)
    {
        try
        {
            consumer.Unsubscribe();
        }
        catch (KafkaException)
        {
            return; // The client cannot leave its group (a fatal error): Close does what it can.
        }
        var deadline = DateTime.UtcNow + within;
        while (consumer.Assignment.Count > 0 && DateTime.UtcNow < deadline)
        {
            try
            {
                poll();
            }
            catch (ConsumeException)
            {
            }
            catch (KafkaException e)
            {
                failed(e);
            }
        }
    }
}
