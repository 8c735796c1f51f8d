namespace ActorVisits.Tests.Support;

/// <summary>Waits for a condition with a deadline, polling it; never a fixed sleep.</summary>
public static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, TimeSpan within, string what) => HoldsAsync(condition, within, () => what);

    /// <summary>As above; <paramref name="describe"/> is evaluated on time-out, so it can report the state then.</summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Not within {within.TotalSeconds:0} s: {describe()}");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
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
