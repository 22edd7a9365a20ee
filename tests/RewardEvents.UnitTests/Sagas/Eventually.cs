namespace RewardEvents.UnitTests.Sagas;

static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds, failing at the deadline.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {seconds} s waiting for {what}; last value: {value}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
