using System.Diagnostics;
using MassTransit;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>Publishes RewardRedeemed events as a .NET producer would, users round-robin, each stamped with its publish time (or, for the ceilings, other messages).</summary>
public static class EventProducer
{
    /// <summary>As fast as <paramref name="concurrency"/> in-flight publishes allow; stops at the count or the time limit.</summary>
    public static Task<int> PublishAsync(IBus bus, int events, int users, int concurrency, TimeSpan limit) =>
        PublishAsync(bus, events, i => SampleEvents.Redeemed(i, users), concurrency, limit);

    /// <summary>Messages made by <paramref name="message"/> from their index, as fast as <paramref name="concurrency"/> in-flight publishes allow.</summary>
    public static async Task<int> PublishAsync<T>(IBus bus, int events, Func<int, T> message, int concurrency, TimeSpan limit)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(bus);
        using var cancel = new CancellationTokenSource(limit);
        using var gate = new SemaphoreSlim(concurrency);
        var inFlight = new List<Task>(events);
        var published = 0;
        try
        {
            for (var i = 0; i < events; i++)
            {
                await gate.WaitAsync(cancel.Token);
                inFlight.Add(PublishOneAsync(i));
            }
        }
        catch (OperationCanceledException)
        {
            // time limit: report what went out
        }

        await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return published;

        async Task PublishOneAsync(int i)
        {
            try
            {
                await bus.Publish(message(i), cancel.Token);
                Interlocked.Increment(ref published);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>At <paramref name="rate"/> events/s for <paramref name="duration"/>, each on its own schedule so a slow publish does not delay the next.</summary>
    public static async Task<int> PublishPacedAsync(IBus bus, int users, int rate, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(bus);
        var total = (int)(rate * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>(total);
        var published = 0;
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var index = i;
            inFlight.Add(Task.Run(async () =>
            {
                await bus.Publish(SampleEvents.Redeemed(index, users));
                Interlocked.Increment(ref published);
            }));
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Task.WhenAll(inFlight).WaitAsync(cancel.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return published;
    }
}
