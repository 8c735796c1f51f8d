using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorVisits.Actors;

/// <summary>
/// An unbounded mailbox for actors that exist by the million and rarely hold more than a message or two: a locked
/// <see cref="Queue{T}"/> grows from nothing, where the default mailbox's concurrent queue starts with 32 slots
/// (about 800 bytes) per actor. Senders to one URL actor are few (its partition actor), so the lock is not contended.
/// </summary>
public sealed class CompactMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactMailbox.MessageQueue>
{
    /// <summary>Where <see cref="Definition"/> defines this mailbox; <c>Props.WithMailbox</c> names it.</summary>
    public const string Id = "actorvisits.compact-mailbox";

    /// <summary>The mailbox's definition, to include in the configuration of any actor system that runs URL actors.</summary>
    public static Config Definition { get; } = ConfigurationFactory.ParseString(
        $"{Id}.mailbox-type = \"{typeof(CompactMailbox).FullName}, {typeof(CompactMailbox).Assembly.GetName().Name}\"");

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new MessageQueue();

    public sealed class MessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly Queue<Envelope> _queue = new();

        public bool HasMessages
        {
            get
            {
                lock (_queue)
                    return _queue.Count > 0;
            }
        }

        public int Count
        {
            get
            {
                lock (_queue)
                    return _queue.Count;
            }
        }

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_queue)
                _queue.Enqueue(envelope);
        }

        public bool TryDequeue(out Envelope envelope)
        {
            lock (_queue)
                return _queue.TryDequeue(out envelope);
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
                deadletters.Enqueue(owner, envelope);
        }
    }
}
