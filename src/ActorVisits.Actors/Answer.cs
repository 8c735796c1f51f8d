using Akka.Actor;

namespace ActorVisits.Actors;

/// <summary>
/// Where one actor's answer to one message goes, as a task: what <c>Ask</c> gives, without its temporary actor (a path
/// made and registered per question), its timer and its continuation, which cost more than the question itself on the
/// processor's hot path. For an actor of this node only: the answer cannot travel back over remoting. It takes the
/// first answer of type <typeparamref name="T"/>, a <see cref="Status.Failure"/> fails it, anything else is an error.
/// The caller bounds the wait itself (one timeout for all the questions of a batch).
/// </summary>
public sealed class Answer<T> : MinimalActorRef
{
    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Answer(IActorRefProvider provider)
    {
        Provider = provider;
        // Shown in logs only: no answer is ever looked up by its path.
        Path = provider.TempContainer.Path / "answer";
    }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider { get; }

    public Task<T> Task => _answer.Task;

    protected override void TellInternal(object message, IActorRef sender)
    {
        switch (message)
        {
            case T answer:
                _answer.TrySetResult(answer);
                break;
            case Status.Failure failure:
                _answer.TrySetException(failure.Cause);
                break;
            default:
                _answer.TrySetException(new InvalidOperationException($"Expected a {typeof(T).Name}, got a {message.GetType().Name} from {sender}."));
                break;
        }
    }
}
