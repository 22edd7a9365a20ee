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
        RewardEventsDbContext db, string? endpoint_id, string? status, DateTimeOffset? since, int? offset, string? cursor, int? limit,
        CancellationToken cancellationToken)
    {
        DeliveryStatus? parsed = null;
        if (status is not null)
        {
            if (!Enum.TryParse<DeliveryStatus>(status.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value)
                || !Enum.IsDefined(value))
            {
                return Problems.Invalid(new Dictionary<string, string[]>
                {
                    ["status"] = ["Must be one of pending, in_flight, retrying, waiting, delivered, dead_lettered."],
                });
            }

            parsed = value;
        }

        var (page, error) = await Listing(db, endpoint_id, parsed, since?.UtcDateTime).ReadPageAsync(Keyset, offset, cursor, limit, cancellationToken);
        return error ?? Results.Ok(new Page<DeliveryView>(page!.Rows.Select(DeliveryView.From).ToList(), page.NextOffset, page.NextCursor));
    }

    /// <summary>
    /// The listing's cursor: the last row's creation time and id, the listing's order. The rows after it are those created
    /// earlier, and those created at the same moment (an event's deliveries share it) that sort after its id.
    /// </summary>
    internal static readonly Keyset<Delivery> Keyset = new(
        "deliveries",
        d => CursorKey.Of(d.CreatedAt, d.Id),
        key => CursorKey.TryRead(key, out DateTime createdAt, out Guid id)
            ? d => d.CreatedAt <= createdAt && (d.CreatedAt < createdAt || KeysetOrder.After(d.Id, id))
            : null);

    /// <summary>
    /// Deliveries, newest first, optionally of one endpoint, in one status, created since a time. The status and the endpoint
    /// go into the SQL as literals (escaped by EF Core), not parameters, so that the database plans each apart, also once
    /// the statement is prepared: dead letters through their own partial index, open ones through the sweep's, a busy
    /// endpoint's or all deliveries by walking the index of creation times, a rare endpoint's through the endpoint's index.
    /// A generic plan, made for an endpoint of average size, walked the whole index for a rare one.
    /// </summary>
    internal static IQueryable<Delivery> Listing(RewardEventsDbContext db, string? endpointId, DeliveryStatus? status, DateTime? sinceUtc)
    {
        var query = db.Deliveries.AsNoTracking();
        if (endpointId is not null)
        {
            query = query.Where(d => d.EndpointId == EF.Constant(endpointId));
        }

        if (status is { } value)
        {
            query = query.Where(d => d.Status == EF.Constant(value));
        }

        if (sinceUtc is { } since)
        {
            query = query.Where(d => d.CreatedAt >= since);
        }

        return query.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Id);
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
