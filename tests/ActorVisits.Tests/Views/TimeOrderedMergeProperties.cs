using ActorVisits.Views;
using Confluent.Kafka;
using FsCheck.Xunit;

namespace ActorVisits.Tests.Views;

/// <summary>The viewers' merge of several partitions into timestamp order, against a sort of everything read.</summary>
public sealed class TimeOrderedMergeProperties
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch;
    private static readonly TopicPartition A = new("a", 0), B = new("b", 0), C = new("c", 0);

    /// <summary>
    /// Three partitions, each read in its own timestamp order (steps of 0-3 ms), in an interleaving chosen by the
    /// input; a partition reports its end once read out. Whatever the interleaving, what is handed on is in timestamp
    /// order, and once every partition is at its end, it is exactly everything read.
    /// </summary>
    [Property(MaxTest = 500)]
    public bool Records_are_handed_on_in_timestamp_order_whatever_the_interleaving_of_the_partitions(byte[] steps)
    {
        TopicPartition[] partitions = [A, B, C];
        var merge = new TimeOrderedMerge<long>(TimeSpan.FromHours(1));
        merge.Assign(partitions);
        var remaining = partitions.ToDictionary(p => p, p => steps.Count(s => s % 3 == Array.IndexOf(partitions, p)));
        foreach (var unread in partitions.Where(p => remaining[p] == 0))
            merge.EndReached(unread);
        var clock = partitions.ToDictionary(p => p, _ => 0L);
        var released = new List<long>();
        var read = new List<long>();
        foreach (var step in steps)
        {
            var partition = partitions[step % 3];
            clock[partition] += step / 3 % 4;
            merge.Read(partition, clock[partition], clock[partition], Start);
            read.Add(clock[partition]);
            if (--remaining[partition] == 0)
                merge.EndReached(partition);
            released.AddRange(merge.Release(Start));
        }
        return merge.Held == 0 && released.SequenceEqual(read.Order());
    }

    [Fact]
    public void A_record_waits_until_every_partition_is_read_up_to_it_or_at_its_end()
    {
        var merge = new TimeOrderedMerge<string>(TimeSpan.FromHours(1));
        merge.Assign([A, B]);

        merge.Read(A, 1_000, "a@1000", Start);
        Assert.Empty(merge.Release(Start));
        merge.Read(A, 1_200, "a@1200", Start);
        merge.Read(B, 1_000, "b@1000", Start);
        Assert.Equal(["a@1000", "b@1000"], merge.Release(Start));
        merge.Read(B, 2_000, "b@2000", Start);
        Assert.Equal(["a@1200"], merge.Release(Start));
        merge.Read(A, 1_500, "a@1500", Start);
        Assert.Equal(["a@1500"], merge.Release(Start));
        Assert.Equal(1, merge.Held);
        merge.EndReached(B);
        Assert.Empty(merge.Release(Start));
        merge.EndReached(A);
        Assert.Equal(["b@2000"], merge.Release(Start));
        // A partition at its end is not waited for; once it delivers again, it is.
        merge.Read(A, 3_000, "a@3000", Start);
        Assert.Equal(["a@3000"], merge.Release(Start));
        merge.Read(B, 2_900, "b@2900", Start);
        Assert.Equal(["b@2900"], merge.Release(Start));
        merge.Read(A, 3_100, "a@3100", Start);
        Assert.Empty(merge.Release(Start));
    }

    [Fact]
    public void A_record_held_too_long_is_handed_on_with_all_stamped_no_later_even_behind_older_records_read_since()
    {
        var merge = new TimeOrderedMerge<string>(TimeSpan.FromSeconds(5));
        merge.Assign([A, B, C]);
        merge.Read(A, 100, "a@100", Start);
        merge.Read(C, 50, "c@50", Start + TimeSpan.FromSeconds(3));
        // B never delivers: the first to wait is a@100, though c@50 comes first in order.
        Assert.Empty(merge.Release(Start + TimeSpan.FromSeconds(4)));
        Assert.Equal(["c@50", "a@100"], merge.Release(Start + TimeSpan.FromSeconds(5)));
        merge.Read(C, 150, "c@150", Start + TimeSpan.FromSeconds(6));
        Assert.Empty(merge.Release(Start + TimeSpan.FromSeconds(10)));
        Assert.Equal(["c@150"], merge.Release(Start + TimeSpan.FromSeconds(11)));
        Assert.Equal(0, merge.Held);
    }

    [Fact]
    public void A_partition_that_neither_delivers_nor_ends_holds_the_others_back_for_at_most_the_hold_and_the_held_count_is_bounded()
    {
        var merge = new TimeOrderedMerge<int>(TimeSpan.FromSeconds(5), maxHeld: 3);
        merge.Assign([A, B]);
        merge.Read(A, 1, 1, Start);
        merge.Read(A, 2, 2, Start + TimeSpan.FromSeconds(3));
        Assert.Empty(merge.Release(Start + TimeSpan.FromSeconds(4)));
        Assert.Equal([1], merge.Release(Start + TimeSpan.FromSeconds(5)));
        Assert.Equal([2], merge.Release(Start + TimeSpan.FromSeconds(8)));

        foreach (var i in Enumerable.Range(10, 4))
            merge.Read(A, i, i, Start + TimeSpan.FromSeconds(8));
        Assert.Equal([10], merge.Release(Start + TimeSpan.FromSeconds(8)));
        Assert.Equal(3, merge.Held);

        // Revoked, B is no longer waited for.
        merge.Revoke([B]);
        merge.EndReached(A);
        Assert.Equal([11, 12, 13], merge.Release(Start + TimeSpan.FromSeconds(8)));
    }
}
