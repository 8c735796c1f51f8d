namespace ActorVisits.Processing;

/// <summary>What to report of a stream's failure.</summary>
public static class StreamFailure
{
    /// <summary>
    /// The error a stream failed with, out of the task's <see cref="AggregateException"/>s, but not further: an error of
    /// ours that wraps its cause (<see cref="RebuildFailedException"/>, <c>KafkaConsumeFailedException</c>) says where
    /// it happened, which the innermost exception (a bare "Local: Timed out") does not.
    /// </summary>
    public static Exception Cause(Exception failure)
    {
        while (failure is AggregateException { InnerExceptions.Count: 1 } aggregate)
            failure = aggregate.InnerExceptions[0];
        return failure;
    }
}
