using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorVisits.Actors;

/// <summary>
/// An unbounded mailbox for actors that exist by the million and rarely hold more than a message or two: empty, it is
/// two references, where the default mailbox's concurrent queue starts with 32 slots (about 800 bytes) per actor. It
/// takes no lock: a profile of a rebuild showed 6 % of the CPU spinning on the lock of the locked queue it replaced, a
/// URL actor taking a message while its partition actor added one, on two cores shared with librdkafka's threads.
/// </summary>
public sealed class CompactMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactMailbox.MessageQueue>
{
    /// <summary>Where <see cref="Definition"/> defines this mailbox; <c>Props.WithMailbox</c> names it.</summary>
    public const string Id = "actorvisits.compact-mailbox";

    /// <summary>The mailbox's definition, to include in the configuration of any actor system that runs URL actors.</summary>
    public static Config Definition { get; } = ConfigurationFactory.ParseString(
        $"{Id}.mailbox-type = \"{typeof(CompactMailbox).FullName}, {typeof(CompactMailbox).Assembly.GetName().Name}\"");

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new MessageQueue();

    /// <summary>
    /// Many senders, one reader (the actor's mailbox run, the only caller of <see cref="TryDequeue"/>): senders push onto
    /// a stack with a compare-and-swap; the reader takes the whole stack at once and reverses it into arrival order.
    /// </summary>
    public sealed class MessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private sealed class Node(Envelope envelope)
        {
            public readonly Envelope Envelope = envelope;
            public Node? Next;
        }

        // Newest first; any thread pushes.
        private Node? _pushed;
        // Oldest first; only the reader changes it.
        private Node? _taken;
        private int _count;

        public bool HasMessages => Volatile.Read(ref _taken) is not null || Volatile.Read(ref _pushed) is not null;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            var node = new Node(envelope);
            Interlocked.Increment(ref _count);
            var head = Volatile.Read(ref _pushed);
            while (true)
            {
                node.Next = head;
                var seen = Interlocked.CompareExchange(ref _pushed, node, head);
                if (ReferenceEquals(seen, head))
                    return;
                head = seen;
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            var first = _taken;
            if (first is null)
            {
                if (Volatile.Read(ref _pushed) is null)
                {
                    envelope = default;
                    return false;
                }
                // Taken whole, then reversed: the oldest message comes first.
                for (var pushed = Interlocked.Exchange(ref _pushed, null); pushed is not null;)
                {
                    var next = pushed.Next;
                    pushed.Next = first;
                    first = pushed;
                    pushed = next;
                }
            }
            Volatile.Write(ref _taken, first!.Next);
            Interlocked.Decrement(ref _count);
            envelope = first.Envelope;
            return true;
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
                deadletters.Enqueue(owner, envelope);
        }
    }
}
