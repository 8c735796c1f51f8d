using ActorVisits.Kafka.Embedded;
using ActorVisits.Tests.Support;

namespace ActorVisits.Tests.Faults;

/// <summary>A fault plan is checked against the cluster it would run on before its first step, naming the step it refuses.</summary>
[Collection(KafkaCollection.Name)]
public sealed class FaultPlanCheckTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Steps_naming_brokers_topics_or_partitions_the_cluster_lacks_are_refused_before_any_runs()
    {
        var topic = await kafka.NewTopicAsync(3, "faults");
        Assert.Null(FaultPlan.Parse($"at 0s: down 3 for 1s; at 1s: leader {topic} 2 1; at 2s: leader {topic} * next; at 3s: rtt 2 50ms for 1s").CannotRunOn(kafka.Broker));

        Assert.Contains("no broker 4 (brokers 1 to 3)", FaultPlan.Parse("at 0s: rtt 1 10ms for 1s; at 5s: down 4 for 1s").CannotRunOn(kafka.Broker));
        Assert.Contains("no broker 9", FaultPlan.Parse($"at 0s: leader {topic} 0 9").CannotRunOn(kafka.Broker));
        Assert.Contains($"'{topic}' has no partition 3 (partitions 0 to 2)", FaultPlan.Parse($"at 0s: leader {topic} 3 1").CannotRunOn(kafka.Broker));
        Assert.Contains("no topic 'not-a-topic", FaultPlan.Parse($"at 0s: leader not-a-topic-{Guid.NewGuid():N} * next").CannotRunOn(kafka.Broker));
    }

    [Theory]
    [InlineData("at 99999999999m: down 1 for 1s", "longer than a plan may last")]
    [InlineData("at 0s: down 1 for 1441m", "longer than a plan may last")]
    [InlineData("at 0s: errors Produce REQUEST_TIMED_OUT*2000000000", "more than 100,000 times")]
    public void Plans_too_long_or_too_large_to_hold_are_refused_as_format_errors(string plan, string reason)
    {
        Assert.Contains(reason, Assert.Throws<FormatException>(() => FaultPlan.Parse(plan)).Message);
    }
}
