using ActorVisits.Entities.Windows;
using Akka.Actor;
using static ActorVisits.Actors.WindowsProtocol;

namespace ActorVisits.Actors;

/// <summary>
/// One input partition: owns its stream clock and a child <see cref="UrlActor"/> per URL with visits in some window
/// (created on the URL's first visit, stopped once all its windows are back to zero). A request counts a batch of visits
/// one after another and is answered with every update of a (URL, window) count they caused: for each visit, the
/// visited URL's windows, and, when the clock's second advanced, those of every other URL that lost visits. The steps
/// of one request for one URL actor (clock moves and visits, in order) travel as one message.
/// Requests are pipelined: the partition actor sends a request's messages to its URL actors and goes on with the next
/// request without waiting for the answers. Every message to a URL actor comes from this actor, so each URL actor sees
/// them in request order and answers exactly as if the requests had been handled one at a time; answers are tagged
/// with their request and a request is answered once all of its URL actors have answered.
/// When the clock moves, only the URL actors with visits in a second that leaves some window are told (an index of URL
/// actors per second, sized like the longest window); the others have nothing to change.
/// </summary>
public sealed class PartitionActor : UntypedActor
{
    private readonly Props _urlActor;
    private readonly WindowSet _windows;
    private readonly PartitionClock _clock;
    private readonly Dictionary<string, UrlEntry> _urls = new(StringComparer.Ordinal);
    private readonly SecondIndex _visitedIn;
    private readonly Dictionary<long, Request> _inFlight = [];
    private readonly Queue<(CountVisits Visits, IActorRef ReplyTo)> _keptWhileRebuilding = [];
    private long _lastRequest;
    private bool _stopping;
    private bool _rebuilding;

    public PartitionActor(WindowSet windows, TimeSpan idleAdvance, bool rebuilding)
    {
        _rebuilding = rebuilding;
        _urlActor = UrlActor.Props(windows);
        _windows = windows;
        _clock = new PartitionClock(windows.LongestSeconds, idleAdvance);
        _visitedIn = new SecondIndex(windows.LongestSeconds);
    }

    /// <summary>URL actors alive; each holds at least one visit in its longest window.</summary>
    public int ActiveUrls => _urls.Count;

    /// <summary>
    /// With <paramref name="rebuilding"/>, the actor first takes <see cref="ReplayVisits"/> until <see cref="ReplayDone"/>,
    /// keeping the <see cref="CountVisits"/> requests that arrive meanwhile, and answers ticks with nothing.
    /// </summary>
    public static Props Props(WindowSet windows, TimeSpan idleAdvance, bool rebuilding = false) =>
        Akka.Actor.Props.Create(() => new PartitionActor(windows, idleAdvance, rebuilding));

    // A URL actor fails only on a bug; its counts cannot be rebuilt here, so the failure goes up instead of a silent reset.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case UrlChanged changed:
                Gather(changed);
                break;
            case ReplayVisits replay:
                Count(replay.Visits, Sender, quiet: true);
                break;
            case ReplayDone:
                _rebuilding = false;
                while (_keptWhileRebuilding.TryDequeue(out var kept))
                    Count(kept.Visits.Visits, kept.ReplyTo, quiet: false);
                break;
            case CountVisits visits when _rebuilding:
                _keptWhileRebuilding.Enqueue((visits, Sender));
                break;
            case CountVisits visits:
                Count(visits.Visits, Sender, quiet: false);
                break;
            case Tick when _rebuilding:
                Sender.Tell(Updated.Nothing);
                break;
            case Tick tick:
                IdleAdvance(tick);
                break;
            case StopPartition:
                // Revoked before its state was rebuilt: what was kept is answered with nothing rather than counted on a
                // partial state (its offsets belong to a revoked assignment and are never committed).
                while (_keptWhileRebuilding.TryDequeue(out var kept))
                    kept.ReplyTo.Tell(Updated.Nothing);
                _stopping = true;
                StopWhenAnswered();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Count(IReadOnlyList<VisitAt> visits, IActorRef replyTo, bool quiet)
    {
        var request = Begin(replyTo, quiet);
        foreach (var visit in visits)
        {
            var second = visit.EventTime.ToUnixTimeSeconds();
            var before = _clock.Now;
            if (!_clock.Observe(second, visit.ArrivedAt))
            {
                request.LateVisits++;
                continue;
            }
            var now = _clock.Now!.Value;
            if (!_urls.TryGetValue(visit.Url, out var target))
            {
                target = new UrlEntry(visit.Url, Context.ActorOf(_urlActor));
                _urls[visit.Url] = target;
            }
            Stage(target, WindowStep.CountVisit(second, now), request);
            if (before is { } previous && now > previous)
                Advance(previous, now, except: target, request);
            _visitedIn.Add(second, target);
        }
        Send(request);
    }

    private void IdleAdvance(Tick tick)
    {
        var before = _clock.Now;
        if (_urls.Count == 0 || !_clock.TryIdleAdvance(tick.WallNow))
        {
            Sender.Tell(Updated.Nothing);
            return;
        }
        var request = Begin(Sender, quiet: false);
        Advance(before!.Value, _clock.Now!.Value, except: null, request);
        Send(request);
    }

    private void Gather(UrlChanged changed)
    {
        var request = _inFlight[changed.Request];
        request.Updates.AddRange(changed.Updates);
        // Passivate only when nothing was sent to this URL actor after the message it answered.
        if (changed.Empty && _urls.TryGetValue(changed.Url, out var url) && url.Actor.Equals(Sender) && url.LastRequest == changed.Request)
        {
            Context.Stop(Sender);
            _urls.Remove(changed.Url);
            url.Stopped = true;
        }
        if (--request.Pending == 0)
            Complete(request);
    }

    private Request Begin(IActorRef replyTo, bool quiet)
    {
        var request = new Request(++_lastRequest, replyTo, quiet);
        _inFlight[request.Id] = request;
        return request;
    }

    /// <summary>Adds a step to the URL's message of this request.</summary>
    private static void Stage(UrlEntry url, WindowStep step, Request request)
    {
        if (url.Staged is null)
        {
            url.Staged = [];
            request.Touched.Add(url);
        }
        url.Staged.Add(step);
    }

    /// <summary>Sends each touched URL actor its steps, one message each; a request that touched none is answered at once.</summary>
    private void Send(Request request)
    {
        foreach (var url in request.Touched)
        {
            url.Actor.Tell(new ApplySteps(url.Url, url.Staged!, request.Id, request.Quiet));
            url.Staged = null;
            url.LastRequest = request.Id;
        }
        request.Pending = request.Touched.Count;
        request.Touched.Clear();
        if (request.Pending == 0)
            Complete(request);
    }

    private void Complete(Request request)
    {
        _inFlight.Remove(request.Id);
        request.ReplyTo.Tell(new Updated(request.Updates, request.LateVisits));
        StopWhenAnswered();
    }

    private void StopWhenAnswered()
    {
        if (_stopping && _inFlight.Count == 0)
            Context.Stop(Self);
    }

    /// <summary>Tells every URL actor with visits leaving a window between <paramref name="from"/> and <paramref name="to"/> the new clock.</summary>
    private void Advance(long from, long to, UrlEntry? except, Request request)
    {
        var told = to - from >= _windows.LongestSeconds
            ? _urls.Values
            : _visitedIn.Leaving(from, to, _windows);
        foreach (var url in told)
        {
            if (ReferenceEquals(url, except) || url.ToldAt == to || url.Stopped)
                continue;
            url.ToldAt = to;
            Stage(url, WindowStep.Advance(to), request);
        }
        _visitedIn.Forget(from, to);
    }

    /// <summary>A request being answered: who asked, the URL actors still to answer, and what they answered so far.</summary>
    private sealed class Request(long id, IActorRef replyTo, bool quiet)
    {
        public long Id { get; } = id;

        public IActorRef ReplyTo { get; } = replyTo;

        /// <summary>A replay: the URL actors count without answering updates.</summary>
        public bool Quiet { get; } = quiet;

        /// <summary>URL actors with steps staged for this request, until it is sent.</summary>
        public List<UrlEntry> Touched { get; } = [];

        public int Pending { get; set; }

        public int LateVisits { get; set; }

        public List<WindowUpdate> Updates { get; } = [];
    }

    /// <summary>A URL's actor, and the clock second it was last told (so one advance tells it once).</summary>
    private sealed class UrlEntry(string url, IActorRef actor)
    {
        public string Url { get; } = url;

        public IActorRef Actor { get; } = actor;

        /// <summary>Steps for the URL actor from the request being handled, sent together once it is handled.</summary>
        public List<WindowStep>? Staged { get; set; }

        public long ToldAt { get; set; } = long.MinValue;

        /// <summary>The last request a message was sent to this URL actor for.</summary>
        public long LastRequest { get; set; }

        /// <summary>Passivated: an index entry left behind must not be told anything.</summary>
        public bool Stopped { get; set; }

        /// <summary>The last second this URL was indexed under, so a burst of visits in one second indexes it once.</summary>
        public long IndexedAt { get; set; } = long.MinValue;
    }

    /// <summary>For each second of the longest window, the URLs with a visit in it.</summary>
    private sealed class SecondIndex(int seconds)
    {
        private readonly List<UrlEntry>?[] _urls = new List<UrlEntry>?[seconds];
        private readonly long[] _second = new long[seconds];

        public void Add(long second, UrlEntry url)
        {
            if (url.IndexedAt == second)
                return;
            url.IndexedAt = second;
            var slot = Slot(second);
            if (_urls[slot] is null || _second[slot] != second)
            {
                (_urls[slot] ??= []).Clear();
                _second[slot] = second;
            }
            _urls[slot]!.Add(url);
        }

        /// <summary>URLs with visits in a second that leaves some window as the clock goes from <paramref name="from"/> to <paramref name="to"/>.</summary>
        public IEnumerable<UrlEntry> Leaving(long from, long to, WindowSet windows)
        {
            for (var now = from + 1; now <= to; now++)
            {
                foreach (var window in windows.Windows)
                {
                    var leaving = now - window.Seconds;
                    var slot = Slot(leaving);
                    if (_urls[slot] is { } urls && _second[slot] == leaving)
                    {
                        foreach (var url in urls)
                            yield return url;
                    }
                }
            }
        }

        /// <summary>Drops the seconds that left the longest window.</summary>
        public void Forget(long from, long to)
        {
            for (var now = Math.Max(from + 1, to - seconds + 1); now <= to; now++)
            {
                var slot = Slot(now - seconds);
                if (_second[slot] == now - seconds)
                    _urls[slot]?.Clear();
            }
        }

        private int Slot(long second) => (int)(((second % seconds) + seconds) % seconds);
    }
}
