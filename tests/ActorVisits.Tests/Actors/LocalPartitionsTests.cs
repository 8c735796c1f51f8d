using ActorVisits.Actors;
using Akka.Actor;

namespace ActorVisits.Tests.Actors;

/// <summary>Queries reach a partition actor only while its assignment holds, not until the stream's next turn unregisters it.</summary>
public sealed class LocalPartitionsTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void A_revoked_assignments_actor_takes_no_more_queries_and_a_newer_one_is_not_unregistered_by_the_old()
    {
        var local = new LocalPartitions();
        var assigned = true;
        var first = CreateTestProbe().Ref;
        local.Register(3, first, () => assigned);
        Assert.True(local.TryGet(3, out var found));
        Assert.Equal(first, found);

        assigned = false;
        Assert.False(local.TryGet(3, out _));

        var second = CreateTestProbe().Ref;
        local.Register(3, second, () => true);
        local.Unregister(3, first);
        Assert.True(local.TryGet(3, out found));
        Assert.Equal(second, found);
        local.Unregister(3, second);
        Assert.False(local.TryGet(3, out _));
        Assert.False(local.TryGet(4, out IActorRef _));
    }
}
