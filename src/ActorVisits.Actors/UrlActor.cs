using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// One URL's windows. Its parent (the URL's partition) owns the clock and tells it where the clock is. A URL actor is
/// kept small, as there may be a million of them: every one shares one <see cref="Props"/> and learns its URL and clock
/// from its first message, and it is an untyped actor, without the per-instance handler tables of a receive actor.
/// </summary>
public sealed class UrlActor(WindowSet windows) : UntypedActor
{
    private UrlWindows? _counts;

    /// <summary>Needs <see cref="CompactMailbox.Definition"/> in the actor system's configuration.</summary>
    public static Props Props(WindowSet windows) => Akka.Actor.Props.Create(() => new UrlActor(windows)).WithMailbox(CompactMailbox.Id);

    protected override void OnReceive(object message)
    {
        if (message is not ApplySteps apply)
        {
            Unhandled(message);
            return;
        }
        _counts ??= new UrlWindows(windows, apply.Steps[0].Now);
        var updates = new List<WindowUpdate>(apply.Quiet ? 0 : windows.Count * apply.Steps.Count);
        foreach (var step in apply.Steps)
        {
            var changed = _counts.AdvanceTo(step.Now);
            if (step.HasVisit)
                changed |= _counts.Add(step.Second);
            if (!apply.Quiet)
                WindowUpdate.AddChanged(updates, apply.Url, windows, _counts, changed);
        }
        Sender.Tell(new UrlChanged(apply.Url, updates, _counts.IsEmpty, apply.Request));
    }
}
