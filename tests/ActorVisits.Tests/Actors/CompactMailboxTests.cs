using ActorVisits.Actors;
using Akka.Actor;

namespace ActorVisits.Tests.Actors;

public sealed class CompactMailboxTests
{
    [Fact]
    public async Task Messages_come_out_once_each_in_each_senders_order_while_senders_race_the_reader()
    {
        const int senders = 4, perSender = 200_000;
        var queue = new CompactMailbox.MessageQueue();
        using var start = new Barrier(senders + 1);
        var sending = Enumerable.Range(0, senders).Select(sender => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perSender; i++)
                queue.Enqueue(ActorRefs.Nobody, new Envelope((sender, i), ActorRefs.NoSender));
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = new int[senders];
        var read = 0;
        start.SignalAndWait();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (read < senders * perSender && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out var envelope))
                continue;
            var (sender, i) = ((int, int))envelope.Message;
            Assert.Equal(next[sender], i);
            next[sender]++;
            read++;
        }

        await Task.WhenAll(sending).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(senders * perSender, read);
        Assert.All(next, count => Assert.Equal(perSender, count));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void Count_and_has_messages_follow_what_is_held()
    {
        var queue = new CompactMailbox.MessageQueue();
        Assert.False(queue.HasMessages);

        queue.Enqueue(ActorRefs.Nobody, new Envelope("a", ActorRefs.NoSender));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("b", ActorRefs.NoSender));
        Assert.True(queue.HasMessages);
        Assert.Equal(2, queue.Count);

        Assert.True(queue.TryDequeue(out var first));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("c", ActorRefs.NoSender));
        Assert.True(queue.TryDequeue(out var second));
        Assert.True(queue.TryDequeue(out var third));
        Assert.Equal(["a", "b", "c"], new[] { first, second, third }.Select(e => (string)e.Message));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }
}
