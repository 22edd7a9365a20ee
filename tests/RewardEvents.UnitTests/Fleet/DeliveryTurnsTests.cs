using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

/// <summary>One delivery at a time per (endpoint, user) pair in a worker process, and no pair waits for another.</summary>
public sealed class DeliveryTurnsTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_pair_waits_for_its_holder_and_goes_when_released()
    {
        var turns = new DeliveryTurns();
        var first = await turns.TakeAsync("ep_1", "user_1", None);
        var second = turns.TakeAsync("ep_1", "user_1", None);
        Assert.False(second.IsCompleted);

        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken)).Dispose();
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public async Task Other_endpoints_and_other_users_do_not_wait()
    {
        var turns = new DeliveryTurns();
        using var held = await turns.TakeAsync("ep_1", "user_1", None);

        var otherEndpoint = turns.TakeAsync("ep_2", "user_1", None);
        var otherUser = turns.TakeAsync("ep_1", "user_2", None);
        Assert.True(otherEndpoint.IsCompletedSuccessfully);
        Assert.True(otherUser.IsCompletedSuccessfully);
        (await otherEndpoint).Dispose();
        (await otherUser).Dispose();
        Assert.Equal(1, turns.Count);
    }

    [Fact]
    public async Task Waiters_go_in_the_order_they_came()
    {
        var turns = new DeliveryTurns();
        var order = new List<int>();
        var held = await turns.TakeAsync("ep_1", "user_1", None);
        var waiters = Enumerable.Range(1, 5).Select(async i =>
        {
            using var turn = await turns.TakeAsync("ep_1", "user_1", None);
            order.Add(i); // under the turn: never two at once
        }).ToList();

        held.Dispose();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 3, 4, 5], order);
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_without_taking_the_turn()
    {
        var turns = new DeliveryTurns();
        var held = await turns.TakeAsync("ep_1", "user_1", None);
        using var cancel = new CancellationTokenSource();
        var waiter = turns.TakeAsync("ep_1", "user_1", cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(1, turns.Count);

        held.Dispose();
        held.Dispose(); // a second release frees nothing more
        Assert.Equal(0, turns.Count);
        using var next = await turns.TakeAsync("ep_1", "user_1", None).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(1, turns.Count);
    }
}
