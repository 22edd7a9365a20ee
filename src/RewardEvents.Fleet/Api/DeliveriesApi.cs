using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary><c>/v1/deliveries</c>: inspection and replay.</summary>
internal static class DeliveriesApi
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/deliveries", ListAsync).RequireScope(ApiScopes.DeliveriesRead).WithName("ListDeliveries").WithSummary("Deliveries, newest first, filtered by endpoint, status and time.")
            .Produces<Page<DeliveryView>>().ProducesValidationProblem();
        v1.MapGet("/deliveries/{id:guid}", GetAsync).RequireScope(ApiScopes.DeliveriesRead).WithName("GetDelivery").WithSummary("One delivery.")
            .Produces<DeliveryView>();
        v1.MapGet("/deliveries/{id:guid}/attempts", AttemptsAsync).RequireScope(ApiScopes.DeliveriesRead).WithName("GetDeliveryAttempts").WithSummary("A delivery's attempts, first to last.")
            .Produces<IReadOnlyList<AttemptView>>();
        v1.MapPost("/deliveries/{id:guid}/retry", RetryAsync).RequireScope(ApiScopes.DeliveriesWrite).WithName("RetryDelivery").WithSummary("Attempt a delivery again now.")
            .Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ListAsync(
        RewardEventsDbContext db, string? endpoint_id, string? status, DateTimeOffset? since, int? offset, int? limit, CancellationToken cancellationToken)
    {
        var query = db.Deliveries.AsNoTracking();
        if (endpoint_id is not null)
        {
            query = query.Where(d => d.EndpointId == endpoint_id);
        }

        if (status is not null)
        {
            if (!Enum.TryParse<DeliveryStatus>(status.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var parsed))
            {
                return Problems.Invalid(new Dictionary<string, string[]>
                {
                    ["status"] = ["Must be one of pending, in_flight, retrying, waiting, delivered, dead_lettered."],
                });
            }

            query = query.Where(d => d.Status == parsed);
        }

        if (since is not null)
        {
            var sinceUtc = since.Value.UtcDateTime;
            query = query.Where(d => d.CreatedAt >= sinceUtc);
        }

        var skip = Math.Max(0, offset ?? 0);
        var take = Math.Clamp(limit ?? 100, 1, 500);
        var items = await query.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Id).Skip(skip).Take(take + 1).ToListAsync(cancellationToken);
        var page = items.Take(take).Select(DeliveryView.From).ToList();
        return Results.Ok(new Page<DeliveryView>(page, items.Count > take ? skip + take : null));
    }

    private static async Task<IResult> GetAsync(Guid id, RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        var delivery = await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        return delivery is null ? Problems.NotFound($"No delivery '{id}'.") : Results.Ok(DeliveryView.From(delivery));
    }

    private static async Task<IResult> AttemptsAsync(Guid id, RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Deliveries.AnyAsync(d => d.Id == id, cancellationToken))
        {
            return Problems.NotFound($"No delivery '{id}'.");
        }

        var attempts = await db.Attempts.AsNoTracking().Where(a => a.DeliveryId == id).OrderBy(a => a.Number).ToListAsync(cancellationToken);
        return Results.Ok(attempts.Select(AttemptView.From).ToList());
    }

    private static async Task<IResult> RetryAsync(
        Guid id, RewardEventsDbContext db, IDeliveryDispatcher dispatcher, IBus bus, TimeProvider time, CancellationToken cancellationToken)
    {
        var delivery = await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (delivery is null)
        {
            return Problems.NotFound($"No delivery '{id}'.");
        }

        if (!await ManualRetry.ReopenAsync(db, delivery, time.GetUtcNow().UtcDateTime, cancellationToken))
        {
            return Problems.Conflict($"Delivery '{id}' is {delivery.Status}: only a delivery that is not delivered and not in flight can be retried.");
        }

        await dispatcher.DispatchAsync(bus, DeliveryCommands.For(delivery), cancellationToken);
        return Results.Accepted($"/v1/deliveries/{id}", new { id, status = "retrying" });
    }
}
