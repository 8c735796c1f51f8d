using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>One URL's windows. Its parent (the URL's partition) owns the clock and tells it where the clock is.</summary>
public sealed class UrlActor : ReceiveActor
{
    public UrlActor(string url, WindowSet windows, long now)
    {
        var counts = new UrlWindows(windows, now);
        Receive<AddVisit>(visit =>
        {
            var updates = new List<WindowUpdate>(windows.Count);
            var changed = counts.AdvanceTo(visit.Now) | counts.Add(visit.Second);
            WindowUpdate.AddChanged(updates, url, windows, counts, changed);
            Sender.Tell(new UrlChanged(url, updates, Empty: false));
        });
        Receive<AdvanceTo>(advance =>
        {
            var changed = counts.AdvanceTo(advance.Now);
            var updates = new List<WindowUpdate>(changed == 0 ? 0 : windows.Count);
            WindowUpdate.AddChanged(updates, url, windows, counts, changed);
            Sender.Tell(new UrlChanged(url, updates, counts.IsEmpty));
        });
    }

    public static Props Props(string url, WindowSet windows, long now) => Akka.Actor.Props.Create(() => new UrlActor(url, windows, now));
}
