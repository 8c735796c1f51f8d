using ActorVisits.Actors;
using ActorVisits.Entities.Windows;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Tests.Actors;

/// <summary>
/// A partition actor whose URL actors are sharded entities, on a one-node cluster: the same updates as with children,
/// through two-step passivation, queries, and a new partition actor of the same shard (a new assignment).
/// </summary>
public sealed class ShardedUrlsTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset T0 = new(2019, 3, 2, 9, 21, 5, TimeSpan.Zero);
    private static readonly TimeSpan IdleAdvance = TimeSpan.FromSeconds(5);

    private static readonly Config OneNodeCluster = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster.sharding.passivate-idle-entity-after = off
        akka.loglevel = WARNING
        """).WithFallback(CompactMailbox.Definition);

    public ShardedUrlsTests() : base(OneNodeCluster)
    {
    }

    [Fact]
    public async Task Sharded_url_entities_count_through_passivation_queries_and_a_new_assignment_of_the_shard()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.SelfMember.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
        var local = new LocalPartitions();
        var region = Sys.StartUrlSharding(WindowSet.Default, local);
        var shard = UrlSharding.ShardOf(0, UrlSharding.NodeName(cluster.SelfUniqueAddress));
        var first = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, rebuilding: false, shard, region));

        Assert.Equal(["/a 1mn:1", "/a 30s:1", "/a 5mn:1"], Describe(Count(first, ("/a", T0))));
        // Five minutes later /a is empty: its entity is passivated, in two steps, while the next visit of /a is sent.
        Assert.Equal(["/a 1mn:0", "/a 30s:0", "/a 5mn:0", "/b 1mn:1", "/b 30s:1", "/b 5mn:1"], Describe(Count(first, ("/b", T0.AddSeconds(300)))));
        Assert.Equal(["/a 1mn:1", "/a 30s:1", "/a 5mn:1"], Describe(Count(first, ("/a", T0.AddSeconds(301)))));
        Assert.Equal(["/a 1mn:2", "/a 30s:2", "/a 5mn:2"], Describe(Count(first, ("/a", T0.AddSeconds(302)))));

        first.Tell(new QueryUrl("/a", 0));
        Assert.Equal(["30s:2", "1mn:2", "5mn:2"], ExpectMsg<UrlCounts>().Windows.Select(w => $"{w.Window}:{w.Count}"));
        first.Tell(new QueryUrl("/never-visited", 0));
        Assert.All(ExpectMsg<UrlCounts>().Windows, w => Assert.Equal(0, w.Count));

        // The partition is assigned again: the new actor counts into the same shard, from empty windows.
        Watch(first);
        first.Tell(StopPartition.Instance);
        ExpectTerminated(first);
        var second = Sys.ActorOf(PartitionActor.Props(WindowSet.Default, IdleAdvance, rebuilding: false, shard, region));
        Assert.Equal(["/a 1mn:1", "/a 30s:1", "/a 5mn:1"], Describe(Count(second, ("/a", T0.AddSeconds(303)))));
    }

    private Updated Count(IActorRef partition, params (string Url, DateTimeOffset At)[] visits)
    {
        partition.Tell(new CountVisits(visits.Select(v => new VisitAt(v.Url, v.At, v.At)).ToList()));
        return ExpectMsg<Updated>(TimeSpan.FromSeconds(10));
    }

    private static List<string> Describe(Updated updated) =>
        updated.Updates.Select(u => $"{u.Url} {u.Window.Name}:{u.Count}").Order(StringComparer.Ordinal).ToList();
}
