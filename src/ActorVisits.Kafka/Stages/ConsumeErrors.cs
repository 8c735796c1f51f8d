using Confluent.Kafka;

namespace ActorVisits.Kafka.Stages;

/// <summary>Which consume errors waiting does not cure, the same for the processor's source and the viewers.</summary>
public static class ConsumeErrors
{
    /// <summary>
    /// Fatal, credentials or ACLs refused, or a topic that does not exist while nothing is assigned (a typo, a topic
    /// not created): librdkafka would report it again and again, and the consumer would read nothing without a word.
    /// Everything else (a broker gone, a fetch timed out, leadership moving) librdkafka retries by itself.
    /// </summary>
    public static bool NoRetryCures(Error error, bool nothingAssigned) =>
        error.IsFatal
        || error.Code is ErrorCode.TopicAuthorizationFailed or ErrorCode.GroupAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed
            or ErrorCode.SaslAuthenticationFailed or ErrorCode.Local_Authentication
        || (nothingAssigned && error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition);
}
