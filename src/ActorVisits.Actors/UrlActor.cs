using ActorVisits.Entities.Windows;
using Akka.Actor;
using Akka.Cluster.Sharding;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// One URL's windows. Its partition actor owns the clock and tells it where the clock is. A URL actor is kept small, as
/// there may be a million of them: every one shares one <see cref="Props"/> and learns its URL and clock from its first
/// message, and it is an untyped actor, without the per-instance handler tables of a receive actor.
/// It is the partition actor's child on one node, or a sharded entity on an Akka cluster (<see cref="UrlSharding"/>).
/// As an entity it counts only for a partition actor of its own node (its shard is named after that node), and its
/// windows belong to the partition actor that counted into them: another one (a new assignment) starts from empty windows.
/// </summary>
public sealed class UrlActor(WindowSet windows, string? failVisitsOfUrl) : UntypedActor
{
    private UrlWindows? _counts;
    private IActorRef? _owner;

    /// <summary>Told to stop: its shard stops it once it has handled what is already in its mailbox.</summary>
    private bool _stopping;

    // Where an answer's updates are gathered before they are copied into an array of their exact size: one per thread,
    // as an actor handles its message on one thread without yielding, and a URL actor keeps no list of its own.
    [ThreadStatic]
    private static List<WindowUpdate>? _gathering;

    /// <summary>
    /// Needs <see cref="CompactMailbox.Definition"/> in the actor system's configuration. Every visit of
    /// <paramref name="failVisitsOfUrl"/> throws, as a bug would (a rehearsal of the error policy); null: none.
    /// </summary>
    public static Props Props(WindowSet windows, string? failVisitsOfUrl = null) =>
        Akka.Actor.Props.Create(() => new UrlActor(windows, failVisitsOfUrl)).WithMailbox(CompactMailbox.Id);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ApplySteps apply when !Sender.Path.Address.HasLocalScope || _stopping:
                // From another node, or after its passivation began: the steps of the partition actor of a new
                // assignment that came before this entity's predecessor had answered its stop (it stopped after a
                // time-out). Counted here, they would be lost with this entity, its successor starting empty, so
                // nothing is counted and the stream fails before their offsets are committed.
                Sender.Tell(new UrlChanged(apply.Url, [], false, apply.Request) { Fenced = true });
                break;
            case ApplySteps apply:
                Apply(apply);
                break;
            case QueryUrl query:
                Sender.Tell(Counts(query.Url));
                break;
            case StopUrl stop:
                // The shard buffers what arrives after this for a new incarnation; the answer tells the partition actor so.
                _stopping = true;
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                Sender.Tell(new UrlStopping(stop.Url));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Apply(ApplySteps apply)
    {
        if (!Sender.Equals(_owner))
        {
            _owner = Sender;
            _counts = null;
        }
        _counts ??= new UrlWindows(windows, apply.Steps[0].Now);
        var updates = _gathering ??= [];
        updates.Clear();
        List<VisitFailure>? failed = null;
        // By index: a foreach over the IReadOnlyList would box its enumerator, once per message.
        for (var i = 0; i < apply.Steps.Count; i++)
        {
            var step = apply.Steps[i];
            // One step failing (a bug) is that visit's failure, reported to the stream; the other steps still count.
            try
            {
                var changed = _counts.AdvanceTo(step.Now);
                if (step.HasVisit)
                {
                    if (failVisitsOfUrl is not null && apply.Url == failVisitsOfUrl)
                        throw new InvalidOperationException($"injected fault: visits of '{failVisitsOfUrl}' fail (actorvisits.processor.fault-injection)");
                    changed |= _counts.Add(step.Second);
                }
                if (!apply.Quiet)
                    WindowUpdate.AddChanged(updates, apply.Url, windows, _counts, changed, step.Offset);
            }
            catch (Exception e)
            {
                (failed ??= []).Add(VisitFailure.Of(step.Visit, e));
            }
        }
        // ToArray of an empty list is the shared empty array: an answer without updates allocates none.
        Sender.Tell(new UrlChanged(apply.Url, updates.ToArray(), _counts.IsEmpty, apply.Request)
        {
            // The cast: `failed ?? []` alone would make an empty List, one per answer.
            Failed = (IReadOnlyList<VisitFailure>?)failed ?? [],
        });
    }

    private UrlCounts Counts(string url)
    {
        if (_counts is null)
            return UrlCounts.Zero(url, windows);
        var windowEnd = DateTimeOffset.FromUnixTimeSeconds(_counts.Now + 1);
        return new UrlCounts(url, windows.Windows.Select((w, i) => new WindowCount(w.Name, w.Seconds, _counts.Count(i), windowEnd)).ToList(), null);
    }
}
