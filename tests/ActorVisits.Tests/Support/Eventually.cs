using Confluent.Kafka;

namespace ActorVisits.Tests.Support;

/// <summary>Waits for a condition with a deadline, polling it; never a fixed sleep.</summary>
public static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, TimeSpan within, string what) => HoldsAsync(condition, within, () => what);

    /// <summary>
    /// As above; <paramref name="describe"/> is evaluated on time-out, so it can report the state then. A poll that
    /// fails transiently (see <see cref="IsTransient"/>: a busy host's HTTP or Kafka client time-out, a connection not yet
    /// accepted) is a poll that does not hold yet; the last such failure is reported on time-out. Any other exception,
    /// an assertion's among them, ends the wait at once.
    /// </summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + within;
        Exception? lastTransient = null;
        while (!Poll(condition, ref lastTransient))
        {
            if (DateTime.UtcNow > deadline)
            {
                var failure = lastTransient is null ? "" : $" (last failed poll: {lastTransient.GetType().Name}: {lastTransient.Message})";
                throw new TimeoutException($"Not within {within.TotalSeconds:0} s: {describe()}{failure}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>A failure a poll may meet on a loaded host and that a later poll may not: the next poll tries again.</summary>
    public static bool IsTransient(Exception e) => e is HttpRequestException or TaskCanceledException or KafkaException;

    private static bool Poll(Func<bool> condition, ref Exception? lastTransient)
    {
        try
        {
            return condition();
        }
        catch (Exception e) when (IsTransient(e))
        {
            lastTransient = e;
            return false;
        }
    }

    public static async Task<T> CompletesAsync<T>(Task<T> task, TimeSpan within, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(within)) != task)
            throw new TimeoutException($"Not within {within.TotalSeconds:0} s: {what}");
        return await task;
    }

    public static async Task CompletesAsync(Task task, TimeSpan within, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(within)) != task)
            throw new TimeoutException($"Not within {within.TotalSeconds:0} s: {what}");
        await task;
    }
}
