using ActorVisits.Actors;
using ActorVisits.Kafka.Messages;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Processing;

/// <summary>
/// The partition actor of each input partition this process owns, one per assignment: a partition assigned again (a new
/// epoch) starts from a new actor, rebuilt from the records before its first offset, and one no longer assigned is
/// stopped (its rebuild cancelled), so it never emits updates for a partition another member now owns. On a cluster a
/// new actor counts into this node's shard of the partition, once its predecessor here is gone (with its URL entities),
/// and this node is recorded as the partition's owner for queries. Used from one stream stage at a time.
/// </summary>
/// <param name="assignmentOf">A partition's assignment under an epoch (null when it is no longer that one).</param>
/// <param name="produced">How far each partition's outputs are in the topics, as this process produced them.</param>
internal sealed class PartitionRegistry(
    IActorRefFactory actors, ProcessorSettings settings, PartitionRebuild rebuild, ShardedUrls? sharded, LocalPartitions local, UrlActorCount? urlActors,
    Func<TopicPartition, long, AssignedPartition?> assignmentOf, ProducedMarks produced)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    // Written by the stream's stage only; read by health checks and views as well.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TopicPartition, PartitionHandle> _partitions = new();
    private readonly Dictionary<TopicPartition, Task> _lastStopped = [];

    /// <summary>The partition's actor for <paramref name="epoch"/>; a new one rebuilds from before <paramref name="firstOffset"/>, the offset the assignment resumed at.</summary>
    public PartitionHandle For(TopicPartition partition, long epoch, long firstOffset, DateTimeOffset now)
    {
        if (_partitions.TryGetValue(partition, out var current) && current.Epoch == epoch)
            return current;
        if (current is not null)
            Stop(partition, current);
        var waitsForState = settings.Rebuild || sharded is not null;
        var actor = actors.ActorOf(PartitionActor.Props(settings.Windows, settings.IdleAdvance, waitsForState, sharded?.ShardOf(partition.Partition.Value), sharded?.Region, settings.FailVisitsOfUrl, urlActors));
        var cancel = new CancellationTokenSource();
        var ready = waitsForState
            ? PrepareAsync(partition, epoch, firstOffset, actor, _lastStopped.GetValueOrDefault(partition, Task.CompletedTask), cancel.Token)
            : Task.CompletedTask;
        local.Register(partition.Partition.Value, actor, () => assignmentOf(partition, epoch) is not null);
        var assignment = assignmentOf(partition, epoch);
        if (assignment is not { HeldJustBefore: true })
            produced.OwnedElsewhere(partition, epoch);
        return _partitions[partition] = new PartitionHandle(partition, epoch, assignment?.Generation ?? -1, produced.ProducedThrough, actor, ready, cancel, firstOffset, now);
    }

    /// <summary>
    /// On a cluster, records again that this node owns every partition it counts, ready and still assigned: a claim
    /// that raced a take-over (written just after the new owner's) is corrected by the owner's next one.
    /// </summary>
    public void ClaimAgain()
    {
        if (sharded is null)
            return;
        foreach (var handle in _partitions.Values)
        {
            if (handle.Ready.IsCompletedSuccessfully && assignmentOf(handle.Partition, handle.Epoch) is not null)
                _ = sharded.Owners.ClaimAsync(handle.Partition.Partition.Value).ContinueWith(static claim => claim.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    /// <summary>The partition actors now, one per partition (a snapshot, safe to read from any thread).</summary>
    public IReadOnlyCollection<PartitionHandle> Handles => _partitions.Values.ToList();

    /// <summary>Stops every partition actor; called once the stream has finished with them.</summary>
    public void StopAll() => Retain([]);

    /// <summary>Stops the actors of partitions outside <paramref name="assignment"/>; returns those that remain.</summary>
    public IReadOnlyList<PartitionHandle> Retain(IReadOnlyCollection<TopicPartition> assignment)
    {
        foreach (var gone in _partitions.Keys.Where(p => !assignment.Contains(p)).ToList())
        {
            Stop(gone, _partitions[gone]);
            _partitions.TryRemove(gone, out _);
        }
        return _partitions.Values.ToList();
    }

    private void Stop(TopicPartition partition, PartitionHandle handle)
    {
        local.Unregister(partition.Partition.Value, handle.Actor);
        _lastStopped[partition] = handle.Stop(StopTimeout);
    }

    /// <summary>
    /// Gives a new partition actor its state: once the previous one here is gone (on a cluster: its URL entities too, as
    /// the new one counts into the same shard), replays the partition's recent records into it (or only tells it to go
    /// on, without rebuild). Completes quietly when cancelled (the partition was revoked meanwhile).
    /// </summary>
    private async Task PrepareAsync(TopicPartition partition, long epoch, long firstOffset, IActorRef actor, Task previousStopped, CancellationToken cancel)
    {
        bool Revoked() => assignmentOf(partition, epoch) is null;
        try
        {
            await previousStopped;
            // Revoked while the predecessor stopped: a claim now could outlive the new owner's (the directory keeps
            // the latest), and queries for the partition would come to this node, which no longer counts it. Asked of
            // the consumer itself too: the stream's stage, which cancels, may be held up meanwhile.
            cancel.ThrowIfCancellationRequested();
            if (Revoked())
                return;
            if (sharded is not null)
            {
                // Allocated to this node before any other node learns it owns the partition and queries the shard.
                sharded.Region.Tell(UrlSharding.Touch(sharded.ShardOf(partition.Partition.Value)));
                await sharded.Owners.ClaimAsync(partition.Partition.Value);
            }
            if (settings.Rebuild)
                await rebuild.StartAsync(partition, firstOffset, actor, Revoked, cancel);
            else
                actor.Tell(WindowsProtocol.ReplayDone.Instance);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Revoked: the partition actor is being stopped and answers what it kept with nothing.
        }
    }
}

/// <summary>
/// One assignment's partition actor, and its rebuild: <see cref="Ready"/> completes once the actor has its state.
/// <see cref="Generation"/> is the consumer group generation of the assignment, which its updates carry.
/// </summary>
internal sealed class PartitionHandle(
    TopicPartition partition, long epoch, int generation, Func<TopicPartition, long> acknowledgedThrough, IActorRef actor, Task ready, CancellationTokenSource cancelRebuild,
    long firstOffset, DateTimeOffset assignedAt)
{
    public TopicPartition Partition { get; } = partition;

    public long Epoch { get; } = epoch;

    public int Generation { get; } = generation;

    /// <summary>
    /// Whether every output of the record at <paramref name="offset"/> is in the topics already: produced by this
    /// process under an earlier assignment of the partition, and acknowledged (perhaps only now), with every output of
    /// that assignment's records before it (<see cref="ProducedMarks"/>). A partition coming back (a session lost to an
    /// unreachable coordinator, a sticky reassignment) resumes at its last commit, which may be behind that: such
    /// records are counted again, exactly as before, but what they cause is not produced twice.
    /// </summary>
    public bool ProducedAlready(long offset) => offset <= acknowledgedThrough(Partition);

    /// <summary>The offset through which <see cref="ProducedAlready"/> holds now (-1: none).</summary>
    public long ProducedThrough => acknowledgedThrough(Partition);

    public IActorRef Actor { get; } = actor;

    public Task Ready { get; } = ready;

    /// <summary>The offset after the last record handed to processing (whatever became of it), or the one the assignment resumed at.</summary>
    public long NextOffset { get; private set; } = firstOffset;

    /// <summary>When the last record was read, or when the partition was assigned: idle-advance waits for a quiet partition.</summary>
    public DateTimeOffset LastRecordAt { get; private set; } = assignedAt;

    /// <summary>Records that the record at <paramref name="offset"/>, read at <paramref name="readAt"/>, was handed to processing.</summary>
    public void Read(long offset, DateTimeOffset readAt)
    {
        NextOffset = Math.Max(NextOffset, offset + 1);
        LastRecordAt = readAt;
    }

    /// <summary>Cancels the rebuild and stops the actor; completes once it has stopped (or after <paramref name="timeout"/>).</summary>
    public Task Stop(TimeSpan timeout)
    {
        cancelRebuild.Cancel();
        return Actor.GracefulStop(timeout, WindowsProtocol.StopPartition.Instance).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
