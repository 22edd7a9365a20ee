using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// An attempt whose lease ran out without a record: its worker died or lost its connection mid-request.
/// Whoever takes the delivery over next records it as <c>worker_lost</c>, so every attempt stays on record.
/// </summary>
internal static class LostAttempts
{
    public static async Task RecordAsync(
        RewardEventsDbContext db, Delivery delivery, DeliveryOptions options, AttemptTally tally, DateTime now, CancellationToken cancellationToken)
    {
        if (delivery.Status != DeliveryStatus.InFlight || delivery.AttemptCount == 0
            || await db.Attempts.AnyAsync(a => a.DeliveryId == delivery.Id && a.Number == delivery.AttemptCount, cancellationToken))
        {
            return;
        }

        var attempt = new Attempt
        {
            DeliveryId = delivery.Id,
            Number = delivery.AttemptCount,
            StartedAt = (delivery.LeaseUntil ?? now) - options.RequestTimeout - options.LeaseMargin,
            DurationMs = 0,
            Error = "worker_lost",
            Succeeded = false,
        };
        db.Attempts.Add(attempt);
        await db.SaveChangesAsync(cancellationToken);
        tally.Record(delivery.EndpointId, attempt);
    }
}
