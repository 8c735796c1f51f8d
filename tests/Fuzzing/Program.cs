using ActorVisits.Entities;
using ActorVisits.Tests.Support;
using SharpFuzz;

// One input per run of the target: the parser must not throw, and must agree with the independent reference.
// An exception (or a disagreement, thrown as one) is what AFL++ records as a crash.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    var value = buffer.ToArray();
    var accepted = VisitJson.TryRead(value, out var visit, out var rejection);
    var expected = VisitReference.Read(value);
    if (accepted != expected.HasValue)
        throw new InvalidOperationException($"The parser says {(accepted ? "valid" : rejection.ToString())}, the reference {(expected.HasValue ? "valid" : "invalid")}.");
    if (accepted && (visit!.Url != expected!.Value.Url || visit.Timestamp != expected.Value.Timestamp))
        throw new InvalidOperationException($"The parser read {visit.Url} at {visit.Timestamp:O}, the reference {expected!.Value.Url} at {expected.Value.Timestamp:O}.");
    if (!accepted && !Rejection.Codes.Contains(rejection.Code))
        throw new InvalidOperationException($"Unknown reason code '{rejection.Code}'.");
});
