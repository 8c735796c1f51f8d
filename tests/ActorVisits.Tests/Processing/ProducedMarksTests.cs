using ActorVisits.Processing;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>
/// How far a partition's outputs are known to be in the topics, told in stream order: acknowledged runs raise it; once
/// an output of an assignment is left out, that assignment raises it no more.
/// </summary>
public sealed class ProducedMarksTests
{
    private static readonly TopicPartition Visits1 = new("visits", 1);
    private static readonly TopicPartition Visits2 = new("visits", 2);

    [Fact]
    public void Acknowledged_runs_raise_the_mark_and_it_never_goes_back()
    {
        var marks = new ProducedMarks();
        Assert.Equal(-1, marks.ProducedThrough(Visits1));
        marks.Acknowledged(Visits1, epoch: 1, lastOffset: 10);
        marks.Acknowledged(Visits1, epoch: 1, lastOffset: 25);
        // A later assignment resumed at a commit behind the mark: its first runs are below it.
        marks.Acknowledged(Visits1, epoch: 2, lastOffset: 18);
        Assert.Equal(25, marks.ProducedThrough(Visits1));
        Assert.Equal(-1, marks.ProducedThrough(Visits2));
    }

    [Fact]
    public void A_run_acknowledged_after_one_left_out_under_the_same_assignment_does_not_vouch_for_it()
    {
        var marks = new ProducedMarks();
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 830);
        // Records 831-840 counted, then the partition was lost: their late copies and updates were fenced off.
        marks.LeftOut(Visits1, epoch: 4);
        // Record 841, read before the loss, was a bad record: its dead letter has no partition to fence it by.
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 841);
        Assert.Equal(830, marks.ProducedThrough(Visits1));
    }

    [Fact]
    public void A_later_assignment_raises_the_mark_again_and_one_partition_left_out_leaves_the_others_alone()
    {
        var marks = new ProducedMarks();
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 830);
        marks.LeftOut(Visits1, epoch: 4);
        marks.Acknowledged(Visits2, epoch: 4, lastOffset: 500);
        // The partition came back, resumed at its commit (831) and produced everything from there.
        marks.Acknowledged(Visits1, epoch: 5, lastOffset: 900);
        Assert.Equal(900, marks.ProducedThrough(Visits1));
        Assert.Equal(500, marks.ProducedThrough(Visits2));
    }

    [Fact]
    public void An_earlier_assignment_acknowledged_after_a_later_one_left_something_out_does_not_raise_the_mark()
    {
        var marks = new ProducedMarks();
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 100);
        marks.LeftOut(Visits1, epoch: 5);
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 120);
        Assert.Equal(100, marks.ProducedThrough(Visits1));
    }

    [Fact]
    public void A_partition_another_member_may_have_owned_meanwhile_is_vouched_for_by_nothing_acknowledged_before()
    {
        var marks = new ProducedMarks();
        // Acknowledged through 900 under epoch 4, committed only through 700; then lost, and another member produced
        // updates for 700-800 that land after these. Back here (epoch 9), resumed at 700: 700-900 must be produced again.
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 900);
        marks.Acknowledged(Visits2, epoch: 4, lastOffset: 500);
        marks.OwnedElsewhere(Visits1, epoch: 9);
        Assert.Equal(-1, marks.ProducedThrough(Visits1));
        // A run of the earlier assignment acknowledged only now vouches for nothing either; the new one's runs do.
        marks.Acknowledged(Visits1, epoch: 4, lastOffset: 950);
        Assert.Equal(-1, marks.ProducedThrough(Visits1));
        marks.Acknowledged(Visits1, epoch: 9, lastOffset: 760);
        Assert.Equal(760, marks.ProducedThrough(Visits1));
        Assert.Equal(500, marks.ProducedThrough(Visits2));
    }
}
