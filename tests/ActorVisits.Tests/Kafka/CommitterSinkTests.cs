using System.Threading.Channels;
using ActorVisits.Kafka.Dsl;
using ActorVisits.Kafka.Messages;
using ActorVisits.Kafka.Settings;
using ActorVisits.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorVisits.Tests.Kafka;

/// <summary>The committer sink alone, fed through a queue, committing into a committer that records each request.</summary>
public sealed class CommitterSinkTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class RecordingCommitter : IOffsetCommitter
    {
        public Channel<IReadOnlyCollection<CommittableOffset>> Requests { get; } = Channel.CreateUnbounded<IReadOnlyCollection<CommittableOffset>>();

        public Task CommitAsync(IReadOnlyCollection<CommittableOffset> offsets)
        {
            Requests.Writer.TryWrite(offsets.ToList());
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task An_offset_ending_a_run_counts_as_the_runs_records_towards_max_batch()
    {
        var committer = new RecordingCommitter();
        var (first, second) = (new TopicPartition("visits", 0), new TopicPartition("visits", 1));
        CommittableOffset Offset(TopicPartition partition, long offset, int records) => new(partition, offset, AssignmentEpoch: 1, committer) { Records = records };
        // Never by time within this test: only the count commits.
        var settings = new CommitterSettings { MaxBatch = 10, MaxInterval = TimeSpan.FromHours(1) };
        var (queue, done) = Source.Queue<CommittableOffset>(16, OverflowStrategy.Backpressure)
            .ToMaterialized(Committer.Sink(settings), Keep.Both).Run(Sys.Materializer());

        // 4 + 5 records: under max-batch, so nothing is committed until the next offset brings the count to 10. Had either
        // counted as one record, or as nothing, the first request would not hold exactly these highest offsets.
        await queue.OfferAsync(Offset(first, 5, records: 4));
        await queue.OfferAsync(Offset(second, 7, records: 5));
        await queue.OfferAsync(Offset(first, 9, records: 1));
        var request = await Eventually.CompletesAsync(committer.Requests.Reader.ReadAsync().AsTask(), TimeSpan.FromSeconds(30), "the first commit request");
        Assert.Equal(["visits [[0]] @9", "visits [[1]] @7"], request.Select(o => $"{o.TopicPartition} @{o.Offset.Value}").Order(StringComparer.Ordinal));

        // The count starts again: ten single offsets make the next request.
        for (var offset = 10; offset < 20; offset++)
            await queue.OfferAsync(Offset(second, offset, records: 1));
        request = await Eventually.CompletesAsync(committer.Requests.Reader.ReadAsync().AsTask(), TimeSpan.FromSeconds(30), "the second commit request");
        Assert.Equal(["visits [[1]] @19"], request.Select(o => $"{o.TopicPartition} @{o.Offset.Value}"));

        queue.Complete();
        await Eventually.CompletesAsync(done, TimeSpan.FromSeconds(30), "the committer sink finished");
        Assert.False(committer.Requests.Reader.TryRead(out _), "nothing was left to commit at the end");
    }

    [Fact]
    public async Task A_stream_that_fails_still_sends_the_offsets_it_had_batched_and_fails_with_the_upstream_error()
    {
        var committer = new RecordingCommitter();
        var partition = new TopicPartition("visits", 0);
        var settings = new CommitterSettings { MaxBatch = 1_000, MaxInterval = TimeSpan.FromHours(1) };
        var (queue, done) = Source.Queue<CommittableOffset>(16, OverflowStrategy.Backpressure)
            .ToMaterialized(Committer.Sink(settings), Keep.Both).Run(Sys.Materializer());

        // Acknowledged, batched, not yet committed (neither the count nor the time is reached), then the stream fails.
        await queue.OfferAsync(new CommittableOffset(partition, 41, AssignmentEpoch: 1, committer) { Records = 42 });
        queue.Fail(new InvalidOperationException("upstream failed"));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Eventually.CompletesAsync(done, TimeSpan.FromSeconds(30), "the committer sink failed"));
        Assert.Equal("upstream failed", failure.Message);
        var request = await Eventually.CompletesAsync(committer.Requests.Reader.ReadAsync().AsTask(), TimeSpan.FromSeconds(30), "the batched offset sent");
        Assert.Equal(["visits [[0]] @41"], request.Select(o => $"{o.TopicPartition} @{o.Offset.Value}"));
    }
}
