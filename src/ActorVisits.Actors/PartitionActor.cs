using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// One input partition: owns its stream clock and a child <see cref="UrlActor"/> per URL with visits in some window
/// (created on the URL's first visit, stopped once all its windows are back to zero). Each request is answered with
/// every (URL, window) whose count it changed: the visited URL's windows, and, when the clock's second advanced, those of
/// every other URL that lost visits. Requests are handled one at a time (later ones are stashed until the URL actors
/// have answered), so the updates follow the partition's order. An untyped actor with a gathering flag rather than
/// behaviour switching: it handles every visit, and switching twice per visit would rebuild handler tables each time.
/// </summary>
public sealed class PartitionActor : UntypedActor, IWithStash
{
    private readonly Props _urlActor;
    private readonly PartitionClock _clock;
    private readonly Dictionary<string, IActorRef> _urls = new(StringComparer.Ordinal);
    private List<WindowUpdate> _gathered = [];
    private IActorRef? _replyTo;
    private int _pending;

    public PartitionActor(WindowSet windows, TimeSpan idleAdvance)
    {
        _urlActor = UrlActor.Props(windows);
        _clock = new PartitionClock(windows.LongestSeconds, idleAdvance);
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>URL actors alive; each holds at least one visit in its longest window.</summary>
    public int ActiveUrls => _urls.Count;

    public static Props Props(WindowSet windows, TimeSpan idleAdvance) =>
        Akka.Actor.Props.Create(() => new PartitionActor(windows, idleAdvance));

    // A URL actor fails only on a bug; its counts cannot be rebuilt here, so the failure goes up instead of a silent reset.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    protected override void OnReceive(object message)
    {
        if (_replyTo is not null)
        {
            if (message is UrlChanged changed)
                Gather(changed);
            else
                Stash.Stash();
            return;
        }
        switch (message)
        {
            case CountVisit visit:
                Count(visit);
                break;
            case Tick tick:
                IdleAdvance(tick);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Count(CountVisit visit)
    {
        var second = visit.EventTime.ToUnixTimeSeconds();
        var before = _clock.Now;
        if (!_clock.Observe(second, visit.ArrivedAt))
        {
            Sender.Tell(Updated.LateVisit);
            return;
        }
        var now = _clock.Now!.Value;
        if (!_urls.TryGetValue(visit.Url, out var target))
        {
            target = Context.ActorOf(_urlActor);
            _urls[visit.Url] = target;
        }
        StartGathering(Sender);
        target.Tell(new AddVisit(visit.Url, second, now));
        _pending = 1;
        if (before is { } previous && now > previous)
            AdvanceAll(now, except: target);
    }

    private void IdleAdvance(Tick tick)
    {
        if (_urls.Count == 0 || !_clock.TryIdleAdvance(tick.WallNow))
        {
            Sender.Tell(Updated.Nothing);
            return;
        }
        StartGathering(Sender);
        _pending = 0;
        AdvanceAll(_clock.Now!.Value, except: ActorRefs.Nobody);
    }

    private void Gather(UrlChanged changed)
    {
        _gathered.AddRange(changed.Updates);
        if (changed.Empty)
        {
            Context.Stop(Sender);
            _urls.Remove(changed.Url);
        }
        if (--_pending > 0)
            return;
        _replyTo!.Tell(new Updated(_gathered, Late: false));
        _replyTo = null;
        Stash.UnstashAll();
    }

    private void StartGathering(IActorRef replyTo)
    {
        _replyTo = replyTo;
        _gathered = [];
    }

    private void AdvanceAll(long now, IActorRef except)
    {
        foreach (var url in _urls.Values)
        {
            if (url.Equals(except))
                continue;
            url.Tell(new AdvanceTo(now));
            _pending++;
        }
    }
}
