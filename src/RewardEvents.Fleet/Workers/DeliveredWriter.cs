using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>What the worker learns when a successful attempt is on record.</summary>
/// <param name="Finished">Whether this write moved the delivery to Delivered (false: it was already final).</param>
/// <param name="FinalAt">The time recorded as the delivery's end.</param>
/// <param name="WaitingSuccessor">The user's next delivery to the endpoint, if it is parked and should be woken.</param>
internal readonly record struct DeliveredOutcome(bool Finished, DateTime FinalAt, Delivery? WaitingSuccessor);

/// <summary>
/// The most common write of all, a successful attempt and its delivery's move to Delivered, as a
/// group commit: one transaction per batch inserts the attempts, finishes the deliveries with one
/// conditional update, and looks up their parked successors with one query (three round trips per
/// delivery before).
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
        // No savepoint around SaveChanges: a failure rolls the whole transaction back and the batch is run
        // again item by item, so a savepoint to resume from would only cost two round trips per batch.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Attempts.AddRange(batch.Select(i => i.Attempt));
        await db.SaveChangesAsync();

        // One stamp per batch: it also tells, in the rare case not every delivery could be finished,
        // which ones this update finished.
        var finalAt = batch.Max(i => i.FinalAt);
        var ids = batch.Select(i => i.Delivery.Id).ToList();
        var statusCodes = batch.Select(i => i.StatusCode).Distinct().ToList();
        var finishedCount = 0;
        foreach (var code in statusCodes)
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

        var endpointIds = batch.Select(i => i.Delivery.EndpointId).Distinct().ToList();
        var userIds = batch.Select(i => i.Delivery.UserId).Distinct().ToList();
        var waiting = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Waiting && endpointIds.Contains(d.EndpointId) && userIds.Contains(d.UserId))
            .ToListAsync();
        await transaction.CommitAsync();

        return batch.Select(i => new DeliveredOutcome(
            finished.Contains(i.Delivery.Id),
            finalAt,
            waiting.Where(w => w.EndpointId == i.Delivery.EndpointId && w.UserId == i.Delivery.UserId && w.Sequence > i.Delivery.Sequence)
                .MinBy(w => w.Sequence))).ToArray();
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
