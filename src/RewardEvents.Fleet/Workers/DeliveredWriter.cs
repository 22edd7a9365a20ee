using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Contracts;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>What the worker learns when a successful attempt is on record.</summary>
/// <param name="Finished">Whether this write moved the delivery to Delivered (false: it was already final).</param>
/// <param name="FinalAt">The time recorded as the delivery's end.</param>
/// <param name="WaitingSuccessor">The user's next delivery to the endpoint, if it is parked and should be woken.</param>
internal readonly record struct DeliveredOutcome(bool Finished, DateTime FinalAt, DeliverWebhook? WaitingSuccessor);

/// <summary>What a batch's write found for one of its items: see <see cref="DeliveredOutcome"/>.</summary>
internal readonly record struct DeliveredRecord(bool Finished, DeliverWebhook? WaitingSuccessor);

/// <summary>
/// The most common write of all, a successful attempt and its delivery's move to Delivered, as a
/// group commit: per batch, the attempts are inserted, the deliveries finished with one conditional
/// update, and their parked successors looked up, all or nothing. On PostgreSQL that is one statement
/// (<see cref="PostgresDeliveredBatch"/>), one round trip per batch; on the other providers one
/// transaction of four round trips (three per delivery before batching).
/// </summary>
internal sealed class DeliveredWriter(IServiceScopeFactory scopes, ILogger<DeliveredWriter> logger)
    : GroupCommit<DeliveredWriter.Item, DeliveredOutcome>(logger)
{
    public Task<DeliveredOutcome> WriteAsync(Attempt attempt, Delivery delivery, int? statusCode, DateTime finalAt, CancellationToken cancellationToken) =>
        EnqueueAsync(new Item(attempt, delivery, statusCode, finalAt), cancellationToken);

    protected override async Task<IReadOnlyList<DeliveredOutcome>> RunAsync(IReadOnlyList<Item> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        // One stamp per batch: it also tells, in the rare case not every delivery could be finished,
        // which ones this update finished.
        var finalAt = batch.Max(i => i.FinalAt);
        var records = db.Database.IsNpgsql()
            ? await PostgresDeliveredBatch.WriteAsync(db, batch, finalAt)
            : await WritePortableAsync(db, batch, finalAt);
        return records.Select(r => new DeliveredOutcome(r.Finished, finalAt, r.WaitingSuccessor)).ToArray();
    }

    /// <summary>The batch through EF Core, in one transaction: the insert, an update per status code, the successors' read, the commit.</summary>
    private static async Task<IReadOnlyList<DeliveredRecord>> WritePortableAsync(RewardEventsDbContext db, IReadOnlyList<Item> batch, DateTime finalAt)
    {
        // No savepoint around SaveChanges: a failure rolls the whole transaction back and the batch is run
        // again item by item, so a savepoint to resume from would only cost two round trips per batch.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Attempts.AddRange(batch.Select(i => i.Attempt));
        await db.SaveChangesAsync();

        var ids = batch.Select(i => i.Delivery.Id).ToList();
        var finishedCount = 0;
        foreach (var code in batch.Select(i => i.StatusCode).Distinct())
        {
            var withCode = batch.Where(i => i.StatusCode == code).Select(i => i.Delivery.Id).ToList();
            finishedCount += await Finishable(db, withCode)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, DeliveryStatus.Delivered)
                    .SetProperty(d => d.FinalAt, finalAt)
                    .SetProperty(d => d.NextAttemptAt, (DateTime?)null)
                    .SetProperty(d => d.LeaseUntil, (DateTime?)null)
                    .SetProperty(d => d.LastStatusCode, code)
                    .SetProperty(d => d.LastError, (string?)null));
        }

        HashSet<Guid> finished;
        if (finishedCount == batch.Count)
        {
            finished = [.. ids];
        }
        else
        {
            finished = [.. await db.Deliveries.AsNoTracking()
                .Where(d => ids.Contains(d.Id) && d.Status == DeliveryStatus.Delivered && d.FinalAt == finalAt)
                .Select(d => d.Id).ToListAsync()];
        }

        // Each item's successor: the next open delivery after it for its endpoint and user, if that one is parked.
        // (A later one behind an open, unparked one has nothing to gain from a wake-up: its turn has not come.)
        var endpointIds = batch.Select(i => i.Delivery.EndpointId).Distinct().ToList();
        var userIds = batch.Select(i => i.Delivery.UserId).Distinct().ToList();
        var open = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered
                && endpointIds.Contains(d.EndpointId) && userIds.Contains(d.UserId))
            .ToListAsync();
        await transaction.CommitAsync();

        return batch.Select(i =>
        {
            var next = open
                .Where(w => w.EndpointId == i.Delivery.EndpointId && w.UserId == i.Delivery.UserId && w.Sequence > i.Delivery.Sequence)
                .MinBy(w => w.Sequence);
            return new DeliveredRecord(
                finished.Contains(i.Delivery.Id), next is { Status: DeliveryStatus.Waiting } ? DeliveryCommands.For(next) : null);
        }).ToArray();
    }

    /// <summary>
    /// Those of the batch not yet final, found by primary key whatever the statistics say: the state test
    /// is a CASE, evaluated per row, because as plain inequalities it matches the filter of the ordering
    /// guard's partial index, and a planner whose statistics predate a backlog scanned all of it instead.
    /// </summary>
    internal static IQueryable<Delivery> Finishable(RewardEventsDbContext db, IReadOnlyCollection<Guid> ids) =>
        db.Deliveries.Where(d => ids.Contains(d.Id)
            && (d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered ? 1 : 0) == 1);

    internal sealed record Item(Attempt Attempt, Delivery Delivery, int? StatusCode, DateTime FinalAt);
}
