using ActorVisits.Entities;
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
/// On an Akka cluster the URL actors are sharded entities (shard = this partition) instead of children: an empty one is
/// passivated in two steps (<see cref="StopUrl"/>, then <see cref="UrlStopping"/>), and the messages for its URL that
/// come meanwhile wait here, so that they reach a new, empty incarnation and never one being stopped.
/// </summary>
public sealed class PartitionActor : UntypedActor, IWithTimers
{
    /// <summary>
    /// How long a stopping partition actor waits for its URL entities to confirm their passivation: a new assignment
    /// of the partition on this node counts into the same shard only after that (the registry waits 30 s at most).
    /// An entity still passivating then refuses the new actor's steps, and the stream fails rather than count them
    /// into an entity about to stop (<see cref="UrlActor"/>).
    /// </summary>
    private static readonly TimeSpan PassivationTimeout = TimeSpan.FromSeconds(20);

    private readonly string? _shard;
    private readonly IActorRef? _urlShards;
    private readonly Dictionary<string, UrlEntry> _passivating = new(StringComparer.Ordinal);
    private readonly RepartitionCopies _copies = new();
    private readonly UrlActorCount? _urlActorCount;
    private readonly Props _urlActor;
    private readonly WindowSet _windows;
    private readonly PartitionClock _clock;
    private readonly Dictionary<string, UrlEntry> _urls = new(StringComparer.Ordinal);
    private readonly SecondIndex<UrlEntry> _visitedIn;
    private readonly Dictionary<long, Request> _inFlight = [];
    private readonly Queue<(CountVisits Visits, IActorRef ReplyTo)> _keptWhileRebuilding = [];
    private long _lastRequest;

    /// <summary>The highest offset counted (live or replayed): what the updates of the wall clock moving the windows carry.</summary>
    private long _lastOffset = -1;
    private bool _fenced;
    private bool _stopped;

    public PartitionActor(WindowSet windows, TimeSpan idleAdvance, bool rebuilding, string? shard, IActorRef? urlShards, string? failVisitsOfUrl, UrlActorCount? urlActorCount)
    {
        _shard = shard;
        _urlActorCount = urlActorCount;
        _urlShards = urlShards;
        _urlActor = UrlActor.Props(windows, failVisitsOfUrl);
        _windows = windows;
        _clock = new PartitionClock(windows.LongestSeconds, idleAdvance);
        _visitedIn = new SecondIndex<UrlEntry>(windows);
        Become(rebuilding ? Rebuilding : Counting);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>URL actors alive; each holds at least one visit in its longest window.</summary>
    public int ActiveUrls => _urls.Count;

    /// <summary>
    /// With <paramref name="rebuilding"/>, the actor waits for its state: it takes <see cref="ReplayVisits"/> until
    /// <see cref="ReplayDone"/>, keeping the <see cref="CountVisits"/> requests that arrive meanwhile, and answers ticks
    /// with nothing. On a cluster, its URL actors are the entities of <paramref name="shard"/> in the shard region
    /// <paramref name="urlShards"/>; else they are its children. Every visit of <paramref name="failVisitsOfUrl"/>
    /// throws in its URL child (a rehearsal of the error policy). <paramref name="urlActorCount"/>, when given, follows
    /// how many URL actors this actor keeps alive.
    /// </summary>
    public static Props Props(WindowSet windows, TimeSpan idleAdvance, bool rebuilding = false, string? shard = null, IActorRef? urlShards = null,
        string? failVisitsOfUrl = null, UrlActorCount? urlActorCount = null) =>
        Akka.Actor.Props.Create(() => new PartitionActor(windows, idleAdvance, rebuilding, shard, urlShards, failVisitsOfUrl, urlActorCount));

    // A URL actor fails only on a bug; its counts cannot be rebuilt here, so the failure goes up instead of a silent reset.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    protected override void OnReceive(object message) => Unhandled(message);

    /// <summary>Waiting for its state: replayed visits are counted silently; live requests are kept until the replay is done.</summary>
    private void Rebuilding(object message)
    {
        switch (message)
        {
            case ReplayVisits replay:
                Count(replay.Visits, Sender, quiet: true);
                break;
            case ReplayDone:
                Become(Counting);
                while (_keptWhileRebuilding.TryDequeue(out var kept))
                    Count(kept.Visits.Visits, kept.ReplyTo, quiet: false);
                break;
            case RebuildAbandoned:
                // Alive until the stream stops it: a question it sends meanwhile must still be answered, not go to
                // dead letters and wait out the ask time-out.
                Become(Abandoned);
                while (_keptWhileRebuilding.TryDequeue(out var kept))
                    kept.ReplyTo.Tell(Updated.Nothing);
                break;
            case CountVisits visits:
                _keptWhileRebuilding.Enqueue((visits, Sender));
                break;
            case Tick:
                Sender.Tell(Updated.Nothing);
                break;
            case QueryUrl query:
                Sender.Tell(UrlCounts.NotAvailable(query.Url, $"partition {query.Partition} is being rebuilt"));
                break;
            default:
                Common(message);
                break;
        }
    }

    private void Counting(object message)
    {
        switch (message)
        {
            case CountVisits visits:
                Count(visits.Visits, Sender, quiet: false);
                break;
            case Tick tick:
                IdleAdvance(tick);
                break;
            case QueryUrl query when _urls.TryGetValue(query.Url, out var url):
                // After every step sent before: the answer is the URL's counts as of its last update.
                Deliver(url, query, Sender);
                break;
            case QueryUrl query:
                Sender.Tell(UrlCounts.Zero(query.Url, _windows));
                break;
            default:
                Common(message);
                break;
        }
    }

    /// <summary>Its rebuild given up (revoked): every request is answered with nothing until the stream stops it.</summary>
    private void Abandoned(object message)
    {
        if (!AnsweredAsRevoked(message))
            Common(message);
    }

    /// <summary>A request to a revoked partition: counts and ticks answered with nothing, queries with why not.</summary>
    private bool AnsweredAsRevoked(object message)
    {
        switch (message)
        {
            case CountVisits or ReplayVisits or Tick:
                Sender.Tell(Updated.Nothing);
                return true;
            case QueryUrl query:
                Sender.Tell(UrlCounts.NotAvailable(query.Url, $"partition {query.Partition} is being revoked"));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Revoked: every request is answered with nothing while the URL entities passivate.</summary>
    private void Stopping(object message)
    {
        if (AnsweredAsRevoked(message))
            return;
        switch (message)
        {
            case PassivationTimedOut:
                Context.Stop(Self);
                break;
            case StopPartition:
                break;
            default:
                Common(message);
                break;
        }
    }

    /// <summary>What every state does the same: URL actors' answers, passivation, the order to stop.</summary>
    private void Common(object message)
    {
        switch (message)
        {
            case UrlChanged changed:
                Gather(changed);
                break;
            case UrlStopping stopping:
                Passivated(stopping.Url);
                break;
            case StopPartition:
                Stop();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Count(IReadOnlyList<VisitAt> visits, IActorRef replyTo, bool quiet)
    {
        var request = Begin(replyTo, quiet);
        for (var index = 0; index < visits.Count; index++)
        {
            // A visit whose handling throws (a bug) is reported as that visit's failure; the others are still counted.
            try
            {
                Count(visits[index], index, request);
            }
            catch (Exception e)
            {
                request.Failed.Add(VisitFailure.Of(index, e));
            }
        }
        Send(request);
    }

    private void Count(VisitAt visit, int index, Request request)
    {
        _lastOffset = Math.Max(_lastOffset, visit.Offset);
        if (_copies.IsCopy(visit.SourcePartition, visit.SourceOffset))
        {
            request.Duplicates++;
            return;
        }
        var second = visit.EventTime.ToUnixTimeSeconds();
        var before = _clock.Now;
        if (!_clock.Observe(second, visit.ArrivedAt, visit.WrittenSecond))
        {
            request.Late.Add(new LateVisit(index, _clock.Now!.Value));
            // Late against a clock its record's write time moved (an idle spell): the URLs still hear of the move.
            if (before is { } from && _clock.Now > from)
                Advance(from, _clock.Now!.Value, except: null, request, index, visit.Offset);
            return;
        }
        var now = _clock.Now!.Value;
        if (!_urls.TryGetValue(visit.Url, out var target))
        {
            target = new UrlEntry(visit.Url, _urlShards is null ? Context.ActorOf(_urlActor) : null);
            if (_passivating.ContainsKey(visit.Url))
                target.Held = [];
            _urls[visit.Url] = target;
            _urlActorCount?.Add(1);
        }
        Stage(target, WindowStep.CountVisit(second, now, index, visit.Offset), request);
        if (before is { } previous && now > previous)
            Advance(previous, now, except: target, request, index, visit.Offset);
        _visitedIn.Add(second, target);
    }

    private void IdleAdvance(Tick tick)
    {
        var before = _clock.Now;
        // Without a URL actor there is nothing to tell, but the clock still follows the wall clock: a visit that comes
        // later is judged (late or not) against the time that passed, as with URLs alive.
        if (!tick.HandledToTheEnd || !_clock.TryIdleAdvance(tick.WallNow) || _urls.Count == 0)
        {
            if (before is { } from && _clock.Now is { } to && to > from)
                _visitedIn.Forget(from, to);
            Sender.Tell(Updated.Nothing);
            return;
        }
        var request = Begin(Sender, quiet: false);
        Advance(before!.Value, _clock.Now!.Value, except: null, request, visit: -1, _lastOffset);
        Send(request);
    }

    private void Gather(UrlChanged changed)
    {
        // A request answered already was answered with nothing when this actor was told to stop.
        if (!_inFlight.TryGetValue(changed.Request, out var request))
            return;
        _fenced |= changed.Fenced;
        request.Updates.Add(changed.Updates);
        if (changed.Failed.Count > 0)
            request.Failed.AddRange(changed.Failed);
        // Passivate only when nothing was sent to this URL actor after the message it answered.
        if (changed.Empty && _urls.TryGetValue(changed.Url, out var url) && url.LastRequest == changed.Request && (url.Child is null || url.Child.Equals(Sender)))
        {
            _urls.Remove(changed.Url);
            _urlActorCount?.Add(-1);
            url.Stopped = true;
            Passivate(url);
        }
        if (--request.Pending == 0)
            Complete(request);
    }

    private void Passivate(UrlEntry url)
    {
        if (url.Child is { } child)
        {
            // After what was sent to it before: a query delivered just before its empty answer came back is still
            // answered (a stop, a system message, would overtake it and leave the query to its time-out).
            child.Tell(PoisonPill.Instance);
            return;
        }
        _passivating[url.Url] = url;
        Deliver(url, new StopUrl(url.Url), Self);
    }

    /// <summary>A URL entity will be stopped by its shard: what waited for it goes to its successor.</summary>
    private void Passivated(string url)
    {
        _passivating.Remove(url);
        if (_urls.TryGetValue(url, out var successor) && successor.Held is { } held)
        {
            successor.Held = null;
            foreach (var (message, sender) in held)
                Deliver(successor, message, sender);
        }
        if (_stopped && _passivating.Count == 0)
            Context.Stop(Self);
    }

    /// <summary>
    /// The partition was revoked, or the stream is over: requests still pending are answered with nothing (their
    /// offsets belong to an assignment that ended and are never committed). URL children stop with this actor; URL
    /// entities are passivated first, so that a new assignment of this partition on this node starts from empty ones.
    /// </summary>
    private void Stop()
    {
        Become(Stopping);
        _stopped = true;
        while (_keptWhileRebuilding.TryDequeue(out var kept))
            kept.ReplyTo.Tell(Updated.Nothing);
        foreach (var request in _inFlight.Values)
            request.ReplyTo.Tell(Updated.Nothing);
        _inFlight.Clear();
        foreach (var url in _urls.Values.Where(u => u.Held is null && u.Child is null))
            Passivate(url);
        _urlActorCount?.Add(-_urls.Count);
        _urls.Clear();
        if (_passivating.Count == 0)
            Context.Stop(Self);
        else
            Timers.StartSingleTimer(nameof(PassivationTimedOut), PassivationTimedOut.Instance, PassivationTimeout);
    }

    /// <summary>To a URL child, or through the shard region to a URL entity; held while the URL's last incarnation passivates.</summary>
    private void Deliver(UrlEntry url, object message, IActorRef sender)
    {
        if (url.Held is { } held)
            held.Add((message, sender));
        else if (url.Child is { } child)
            child.Tell(message, sender);
        else
            _urlShards!.Tell(new UrlSharding.ToUrlShard(_shard!, url.Url, message), sender);
    }

    private Request Begin(IActorRef replyTo, bool quiet)
    {
        var request = new Request(++_lastRequest, replyTo, quiet);
        _inFlight[request.Id] = request;
        return request;
    }

    /// <summary>
    /// Lists a request stages steps in, taken back once it is sent. Only one request is staged at a time (staging and
    /// sending happen within one message). Kept up to <see cref="StagingListsKept"/> lists of at most
    /// <see cref="StagingListLongestKept"/> steps: a tick that tells every URL would otherwise leave one list per URL behind.
    /// </summary>
    private readonly Stack<List<WindowStep>> _stagingLists = new();

    private const int StagingListsKept = 1024;
    private const int StagingListLongestKept = 64;

    /// <summary>Adds a step to the URL's message of this request.</summary>
    private void Stage(UrlEntry url, WindowStep step, Request request)
    {
        if (url.Staged is null)
        {
            url.Staged = _stagingLists.TryPop(out var list) ? list : [];
            request.Touched.Add(url);
        }
        url.Staged.Add(step);
    }

    /// <summary>Sends each touched URL actor its steps, one message each; a request that touched none is answered at once.</summary>
    private void Send(Request request)
    {
        foreach (var url in request.Touched)
        {
            // An array of the exact size goes to the URL actor (most carry one step); the list is staged in again.
            var staged = url.Staged!;
            Deliver(url, new ApplySteps(url.Url, staged.ToArray(), request.Id, request.Quiet), Self);
            if (_stagingLists.Count < StagingListsKept && staged.Capacity <= StagingListLongestKept)
            {
                staged.Clear();
                _stagingLists.Push(staged);
            }
            url.Staged = null;
            url.LastRequest = request.Id;
        }
        request.Pending = request.Touched.Count;
        // One array of updates per URL actor answering: gathered without growing the list.
        if (!request.Quiet)
            request.Updates.EnsureCapacity(request.Pending);
        request.Touched.Clear();
        if (request.Pending == 0)
            Complete(request);
    }

    private void Complete(Request request)
    {
        _inFlight.Remove(request.Id);
        // Fenced: some URL entity of this actor's shard lives on another node, or was still stopping for this
        // partition's previous actor, and counted nothing. Failing the request stops the stream before the visits'
        // offsets are committed uncounted; the restarted member rebuilds the partition.
        request.ReplyTo.Tell(_fenced
            ? new Status.Failure(new InvalidOperationException(
                $"URL shard {_shard} answers from another node, or from an entity still stopping for the previous assignment; its visits were not counted."))
            : new Updated(request.Updates, request.LateSoFar, request.FailedSoFar, request.Duplicates));
    }

    /// <summary>
    /// Tells every URL actor with visits leaving a window between <paramref name="from"/> and <paramref name="to"/> the
    /// new clock; <paramref name="visit"/>, read at <paramref name="offset"/>, moved it (-1: a tick).
    /// </summary>
    private void Advance(long from, long to, UrlEntry? except, Request request, int visit, long offset)
    {
        var told = to - from >= _windows.LongestSeconds
            ? _urls.Values
            : _visitedIn.Leaving(from, to);
        foreach (var url in told)
        {
            if (ReferenceEquals(url, except) || url.ToldAt == to || url.Stopped)
                continue;
            url.ToldAt = to;
            Stage(url, WindowStep.Advance(to, visit, offset), request);
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

        // Most requests have neither: made on first use.
        private List<LateVisit>? _late;
        private List<VisitFailure>? _failed;

        public List<LateVisit> Late => _late ??= [];

        public List<VisitFailure> Failed => _failed ??= [];

        public IReadOnlyList<LateVisit> LateSoFar => (IReadOnlyList<LateVisit>?)_late ?? [];

        public IReadOnlyList<VisitFailure> FailedSoFar => (IReadOnlyList<VisitFailure>?)_failed ?? [];

        public int Duplicates { get; set; }

        public WindowUpdateList Updates { get; } = new();
    }

    /// <summary>A URL's actor, and the clock second it was last told (so one advance tells it once).</summary>
    private sealed class UrlEntry(string url, IActorRef? child) : ISecondIndexed
    {
        public string Url { get; } = url;

        /// <summary>The URL actor when it is a child; null when it is a sharded entity.</summary>
        public IActorRef? Child { get; } = child;

        /// <summary>Messages waiting until the URL's previous entity has asked to be passivated.</summary>
        public List<(object Message, IActorRef Sender)>? Held { get; set; }

        /// <summary>Steps for the URL actor from the request being handled, sent together once it is handled.</summary>
        public List<WindowStep>? Staged { get; set; }

        public long ToldAt { get; set; } = long.MinValue;

        /// <summary>The last request a message was sent to this URL actor for.</summary>
        public long LastRequest { get; set; }

        /// <summary>Passivated: an index entry left behind must not be told anything.</summary>
        public bool Stopped { get; set; }

        /// <summary>The latest second this URL was indexed under, and the ones before it (<see cref="ISecondIndexed"/>).</summary>
        public long IndexedAt { get; set; } = long.MinValue;

        public ulong IndexedBefore { get; set; }
    }
}
