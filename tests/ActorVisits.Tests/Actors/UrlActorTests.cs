using ActorVisits.Actors;
using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Tests.Actors;

/// <summary>
/// A URL entity told to stop (its passivation begun) refuses the steps of any partition actor, such as the one of a new
/// assignment that reached it before its predecessor's stop was answered: counted there, they would die with it, the
/// successor starting from empty windows.
/// </summary>
public sealed class UrlActorTests() : Akka.TestKit.Xunit2.TestKit(CompactMailbox.Definition)
{
    private const long T0 = 1_551_518_465;

    [Fact]
    public void A_url_actor_told_to_stop_refuses_the_steps_of_a_new_partition_actor_instead_of_counting_them()
    {
        var url = Sys.ActorOf(UrlActor.Props(WindowSet.Default));
        var previous = CreateTestProbe();
        var next = CreateTestProbe();

        url.Tell(Visit(1, T0), previous.Ref);
        var counted = previous.ExpectMsg<UrlChanged>();
        Assert.False(counted.Fenced);
        Assert.Equal([1, 1, 1], counted.Updates.Select(u => u.Count));

        // A new owner before the stop: it starts from empty windows and counts.
        url.Tell(Visit(2, T0 + 1), next.Ref);
        var recounted = next.ExpectMsg<UrlChanged>();
        Assert.False(recounted.Fenced);
        Assert.Equal([1, 1, 1], recounted.Updates.Select(u => u.Count));

        url.Tell(new StopUrl("/a"), previous.Ref);
        previous.ExpectMsg<UrlStopping>();
        url.Tell(Visit(3, T0 + 2), next.Ref);
        var refused = next.ExpectMsg<UrlChanged>();
        Assert.True(refused.Fenced);
        Assert.Empty(refused.Updates);
        Assert.Equal(3, refused.Request);
    }

    private static ApplySteps Visit(long request, long second) =>
        new("/a", [WindowStep.CountVisit(second, second, visit: 0, offset: request)], request, Quiet: false);
}
