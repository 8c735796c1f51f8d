using ActorVisits.Entities.Windows;

namespace ActorVisits.Actors;

/// <summary>Messages between the processing stream, the partition actors and their URL actors.</summary>
public static class WindowsProtocol
{
    /// <summary>
    /// A valid visit of <paramref name="Url"/> at <paramref name="EventTime"/>, read at <paramref name="ArrivedAt"/> (wall
    /// clock) from offset <paramref name="Offset"/> of its partition (-1 when unknown), which the updates it causes carry.
    /// A visit re-keyed through the repartition topic also names the input partition and offset it came from (else -1):
    /// a copy produced again after a restart comes with an offset already counted, and is skipped.
    /// <paramref name="WrittenSecond"/>: when the record was written to Kafka, in Unix seconds (its Kafka timestamp), or
    /// <see cref="PartitionClock.Unknown"/>; the same whenever the record is read, first or in a replay.
    /// </summary>
    public sealed record VisitAt(string Url, DateTimeOffset EventTime, DateTimeOffset ArrivedAt, int SourcePartition = -1, long SourceOffset = -1, long Offset = -1,
        long WrittenSecond = PartitionClock.Unknown);

    /// <summary>
    /// Visits of one partition, in offset order, counted as if they came one by one. The stream batches the visits
    /// that wait while the actors are busy, so one request (and one ask) serves many of them under load.
    /// </summary>
    public sealed record CountVisits(IReadOnlyList<VisitAt> Visits);

    /// <summary>
    /// Visits read again from before the committed offset, counted into the windows without any update: rebuilding a
    /// partition's state after an assignment. Answered with an <see cref="Updated"/> without updates.
    /// </summary>
    public sealed record ReplayVisits(IReadOnlyList<VisitAt> Visits);

    /// <summary>The replay is over: the partition actor goes on with the requests it kept while rebuilding, in order.</summary>
    public sealed record ReplayDone
    {
        public static ReplayDone Instance { get; } = new();
    }

    /// <summary>
    /// Wall-clock tick: an idle, live partition moves its stream time to <paramref name="WallNow"/>. Idle means
    /// <paramref name="HandledToTheEnd"/> too: every record its log held, by a fresh answer of its leader, was handed to
    /// this actor already; a partition whose records are only delayed (brokers unreachable, backpressure) keeps its time.
    /// </summary>
    public sealed record Tick(DateTimeOffset WallNow, bool HandledToTheEnd = true);

    /// <summary>
    /// The replay was given up (the partition was revoked while it ran): the requests kept while rebuilding, and every
    /// one after, are answered with nothing until <see cref="StopPartition"/>, which the stream still sends.
    /// </summary>
    public sealed record RebuildAbandoned
    {
        public static RebuildAbandoned Instance { get; } = new();
    }

    /// <summary>
    /// Stop after answering every request received before this one (a poison pill would stop a partition actor while
    /// its URL actors' answers are still on their way, and leave those requests unanswered).
    /// </summary>
    public sealed record StopPartition
    {
        public static StopPartition Instance { get; } = new();
    }

    /// <summary>
    /// Reply to <see cref="CountVisits"/> and <see cref="Tick"/>: every update of a (URL, window) count, one for each
    /// change, the updates of one URL in the order of its changes; the visits too late to count (<paramref name="Late"/>),
    /// the visits whose handling threw (<paramref name="Failed"/>: not counted, or not fully), and how many were copies of
    /// repartitioned visits counted already. Visits are named by their index in the request.
    /// </summary>
    public sealed record Updated(WindowUpdateList Updates, IReadOnlyList<LateVisit> Late, IReadOnlyList<VisitFailure> Failed, int Duplicates = 0)
    {
        public static Updated Nothing { get; } = new(WindowUpdateList.Empty, [], []);
    }

    /// <summary>Visit <paramref name="Visit"/> of a request was late: its second left the longest window of stream second <paramref name="StreamSecond"/>.</summary>
    public readonly record struct LateVisit(int Visit, long StreamSecond);

    /// <summary>
    /// Handling visit <paramref name="Visit"/> of a request threw <paramref name="Error"/> (<c>type: message</c>); the
    /// other visits of the request were handled. Its URL's counts may miss it; the stream decides what becomes of the record.
    /// </summary>
    public readonly record struct VisitFailure(int Visit, string Error)
    {
        public static VisitFailure Of(int visit, Exception error) => new(visit, Describe(error));

        /// <summary><c>type: message</c>, as a dead letter's reason gives an unexpected exception.</summary>
        public static string Describe(Exception error) => $"{error.GetType().FullName}: {error.Message}";
    }

    /// <summary>
    /// To a URL actor: apply <paramref name="Steps"/> in order, each moving the clock and perhaps counting a visit.
    /// The first message a URL actor gets starts with a visit. <paramref name="Quiet"/> (a replay): answer without updates.
    /// </summary>
    internal sealed record ApplySteps(string Url, IReadOnlyList<WindowStep> Steps, long Request, bool Quiet);

    /// <summary>
    /// A URL actor's answer to the partition actor's <paramref name="Request"/>: its updates, in the order of its changes
    /// (the array goes into the request's <see cref="WindowUpdateList"/> as it is); <paramref name="Empty"/> when all its
    /// windows are zero (it may be passivated).
    /// </summary>
    internal sealed record UrlChanged(string Url, WindowUpdate[] Updates, bool Empty, long Request)
    {
        /// <summary>Steps that threw, named by the visit of the request they were staged for.</summary>
        public IReadOnlyList<VisitFailure> Failed { get; init; } = [];

        /// <summary>The URL entity lives on another node than the partition actor that asked, so it counted nothing.</summary>
        public bool Fenced { get; init; }
    }

    /// <summary>
    /// To a sharded URL entity whose windows are all zero: ask the shard to passivate it, and answer <see cref="UrlStopping"/>
    /// once the shard will buffer whatever comes next for a new, empty incarnation.
    /// </summary>
    internal sealed record StopUrl(string Url);

    /// <summary>The sharded URL entity has asked its shard to passivate it: messages sent from now on reach its successor.</summary>
    internal sealed record UrlStopping(string Url);

    /// <summary>
    /// The live counts of <paramref name="Url"/>, whose visits are read from input partition <paramref name="Partition"/>;
    /// answered with <see cref="UrlCounts"/>.
    /// </summary>
    public sealed record QueryUrl(string Url, int Partition);

    /// <summary>
    /// A URL's counts in every window, as of its last update (zero in every window when it has no visit in any); or,
    /// while its partition is not (yet) owned and rebuilt where the query went, why not (<paramref name="Unavailable"/>).
    /// </summary>
    public sealed record UrlCounts(string Url, IReadOnlyList<WindowCount> Windows, string? Unavailable)
    {
        public bool Available => Unavailable is null;

        public static UrlCounts Zero(string url, WindowSet windows) =>
            new(url, windows.Windows.Select(w => new WindowCount(w.Name, w.Seconds, 0, null)).ToList(), null);

        public static UrlCounts NotAvailable(string url, string reason) => new(url, [], reason);
    }

    /// <summary>A stopping partition actor's URL entities did not all confirm their passivation in time: stop anyway.</summary>
    internal sealed record PassivationTimedOut
    {
        public static PassivationTimedOut Instance { get; } = new();
    }

    /// <summary>A URL's count in the window <paramref name="Window"/> of <paramref name="Seconds"/> ending (exclusive) at <paramref name="WindowEnd"/>.</summary>
    public sealed record WindowCount(string Window, int Seconds, int Count, DateTimeOffset? WindowEnd)
    {
        public double PerSecond => (double)Count / Seconds;
    }

    /// <summary>
    /// Move a URL's clock to <paramref name="Now"/>, then count a visit of <paramref name="Second"/> unless it is
    /// <see cref="NoVisit"/>. <paramref name="Visit"/> is the request's visit that caused the step (its index), to which a
    /// failure of the step is attributed (-1 for a tick's step); <paramref name="Offset"/> its record's offset, which the
    /// step's updates carry (for a tick, the last offset counted).
    /// </summary>
    internal readonly record struct WindowStep(long Now, long Second, int Visit, long Offset)
    {
        public const long NoVisit = long.MinValue;

        public static WindowStep Advance(long now, int visit, long offset) => new(now, NoVisit, visit, offset);

        public static WindowStep CountVisit(long second, long now, int visit, long offset) => new(now, second, visit, offset);

        public bool HasVisit => Second != NoVisit;
    }
}
