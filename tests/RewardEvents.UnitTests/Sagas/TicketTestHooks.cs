namespace RewardEvents.UnitTests.Sagas;

/// <summary>Singleton switches the test state machine uses to provoke races deterministically.</summary>
public sealed class TicketTestHooks
{
    readonly TaskCompletionSource _bothArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _arrived;
    int _interfered;

    /// <summary>Waits until two messages have arrived (a retry passes straight through).</summary>
    public Task Rendezvous()
    {
        if (Interlocked.Increment(ref _arrived) >= 2)
            _bothArrived.TrySetResult();
        return _bothArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public bool TryInterfere() => Interlocked.Exchange(ref _interfered, 1) == 0;
}
