namespace RewardEvents.Testing;

/// <summary>
/// Polls a condition until it holds or a deadline passes. Tests wait with this instead of
/// sleeping, so they are as fast as the system allows and fail with a reason when it is not.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Calls <paramref name="probe"/> until it returns a non-null value and returns that value.
    /// A probe that throws counts as "not yet"; its last exception is attached to the timeout.
    /// </summary>
    /// <exception cref="TimeoutException">The probe gave nothing within <paramref name="timeout"/>.</exception>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T?>> probe, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(probe);
        var result = await PollAsync(async () => await probe(), timeout, because, cancellationToken);
        return (T)result!;
    }

    /// <summary>Calls <paramref name="probe"/> until it returns a value and returns that value.</summary>
    /// <exception cref="TimeoutException">The probe gave nothing within <paramref name="timeout"/>.</exception>
    public static async Task<T> UntilValueAsync<T>(
        Func<Task<T?>> probe, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(probe);
        var result = await PollAsync(async () => (object?)await probe(), timeout, because, cancellationToken);
        return (T)result!;
    }

    /// <summary>Calls <paramref name="condition"/> until it returns true.</summary>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static async Task UntilAsync(
        Func<Task<bool>> condition, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        await PollAsync(async () => await condition() ? (object)true : null, timeout, because, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="assertion"/> until it stops throwing; the last failure is rethrown
    /// inside the timeout, so the test shows which expectation never came true.
    /// </summary>
    /// <exception cref="TimeoutException">The assertion kept failing for <paramref name="timeout"/>.</exception>
    public static async Task PassesAsync(
        Func<Task> assertion, TimeSpan timeout, string because, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        await PollAsync(async () => { await assertion(); return true; }, timeout, because, cancellationToken);
    }

    private static async Task<object?> PollAsync(
        Func<Task<object?>> probe, TimeSpan timeout, string because, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pause = FirstPause;
        Exception? lastFailure = null;
        var attempts = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            attempts++;
            try
            {
                var value = await probe();
                if (value is not null)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lastFailure = ex;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var message = $"Waited {timeout.TotalSeconds:0.###} s ({attempts} attempts) for {because}, in vain."
                    + (lastFailure is null ? "" : $" Last failure: {lastFailure.GetType().Name}: {lastFailure.Message}");
                throw new TimeoutException(message, lastFailure);
            }

            // Short pauses first so fast conditions are seen at once; longer ones later so a slow
            // condition does not turn into a busy loop against the broker or database.
            var remaining = deadline - DateTime.UtcNow;
            var wait = pause < remaining ? pause : remaining;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }
}
