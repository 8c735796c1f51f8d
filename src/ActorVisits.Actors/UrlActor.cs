using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// One URL's windows. Its parent (the URL's partition) owns the clock and tells it where the clock is. A URL actor is
/// kept small, as there may be a million of them: every one shares one <see cref="Props"/> and learns its URL and clock
/// from its first message (always an <see cref="AddVisit"/>), and it is an untyped actor, without the per-instance
/// handler tables of a receive actor.
/// </summary>
public sealed class UrlActor(WindowSet windows) : UntypedActor
{
    private string _url = "";
    private UrlWindows? _counts;

    /// <summary>Needs <see cref="CompactMailbox.Definition"/> in the actor system's configuration.</summary>
    public static Props Props(WindowSet windows) => Akka.Actor.Props.Create(() => new UrlActor(windows)).WithMailbox(CompactMailbox.Id);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AddVisit visit:
                _url = visit.Url;
                _counts ??= new UrlWindows(windows, visit.Now);
                Reply(_counts.AdvanceTo(visit.Now) | _counts.Add(visit.Second), visit.Request);
                break;
            case AdvanceTo advance when _counts is not null:
                Reply(_counts.AdvanceTo(advance.Now), advance.Request);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Reply(uint changed, long request)
    {
        var updates = new List<WindowUpdate>(changed == 0 ? 0 : windows.Count);
        WindowUpdate.AddChanged(updates, _url, windows, _counts!, changed);
        Sender.Tell(new UrlChanged(_url, updates, _counts!.IsEmpty, request));
    }
}
