using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Routing;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary><c>/v1/events</c>: ingest over HTTP and the event's routing and delivery status.</summary>
internal static class EventsApi
{
    public const int MaxBodyBytes = 256 * 1024;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/events", PostAsync).RequireScope(ApiScopes.EventsWrite).WithName("PostEvent").WithSummary("Ingest an event; 202 once the broker has confirmed it.")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        v1.MapGet("/events", ListAsync).RequireScope(ApiScopes.EventsRead).WithName("ListEvents")
            .WithSummary("A user's events, latest first (by the user's sequence), each with its routing status and deliveries.")
            .Produces<Page<EventStatus>>().ProducesValidationProblem();
        v1.MapGet("/events/{eventId}", GetAsync).RequireScope(ApiScopes.EventsRead).WithName("GetEvent").WithSummary("An event's routing status and its deliveries.")
            .Produces<EventStatus>();
    }

    private static async Task<IResult> PostAsync(HttpRequest request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, MaxBodyBytes, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var message = EventRequest.Parse(document!.RootElement, errors);
            if (message is null)
            {
                return Problems.Invalid(errors);
            }

            // On RabbitMQ, Publish completes once the broker has confirmed the message (publisher confirms).
            await publisher.Publish(message, message.GetType(), cancellationToken);
            FleetTelemetry.EventsIngested.Add(1, new KeyValuePair<string, object?>("event_type", EventTypes.Of(message)));
            return Results.Accepted($"/v1/events/{Uri.EscapeDataString(message.EventId)}", new EventAccepted(message.EventId));
        }
    }

    private static async Task<IResult> ListAsync(
        RewardEventsDbContext db, string? user_id, int? offset, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(user_id))
        {
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["user_id"] = ["Required: events are listed per user (an event's own record is at /v1/events/{event_id})."],
            });
        }

        var (page, error) = await OfUser(db, user_id).ReadPageAsync(Keyset, offset, cursor, limit, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var ids = page!.Rows.Select(r => r.CorrelationId).ToList();
        var deliveries = (await db.Deliveries.AsNoTracking().Where(d => ids.Contains(d.RoutingId)).ToListAsync(cancellationToken))
            .ToLookup(d => d.RoutingId);
        return Results.Ok(new Page<EventStatus>(page.Rows.Select(r => Status(r, deliveries[r.CorrelationId])).ToList(), page.NextOffset, page.NextCursor));
    }

    /// <summary>The listing's cursor: the last event's sequence (and its routing's id, the listing's tie-break).</summary>
    internal static readonly Keyset<RoutingState> Keyset = new(
        "events",
        r => CursorKey.Of(r.Sequence, r.CorrelationId),
        key => CursorKey.TryRead(key, out long sequence, out Guid id)
            ? r => r.Sequence <= sequence && (r.Sequence < sequence || KeysetOrder.After(r.CorrelationId, id))
            : null);

    /// <summary>A user's routed events, latest first: by the sequence the router gave them, through the index of (user, sequence).</summary>
    internal static IQueryable<RoutingState> OfUser(RewardEventsDbContext db, string userId) =>
        db.Routings.AsNoTracking().Where(r => r.UserId == userId).OrderByDescending(r => r.Sequence).ThenBy(r => r.CorrelationId);

    private static EventStatus Status(RoutingState routing, IEnumerable<Delivery> deliveries) => new(
        routing.EventId, routing.EventType, routing.CurrentState.ToLowerInvariant(), routing.Sequence,
        routing.ReceivedAt, routing.CompletedAt, deliveries.OrderBy(d => d.EndpointId, StringComparer.Ordinal).Select(DeliveryView.From).ToList());

    private static async Task<IResult> GetAsync(string eventId, RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        var routingId = EventIdentity.IdFor(eventId);
        var routing = await db.Routings.AsNoTracking().FirstOrDefaultAsync(r => r.CorrelationId == routingId, cancellationToken);
        if (routing is null)
        {
            return Problems.NotFound($"No event '{eventId}' has been routed (it may still be on its way to the router).");
        }

        var deliveries = await db.Deliveries.AsNoTracking().Where(d => d.RoutingId == routingId).ToListAsync(cancellationToken);
        return Results.Ok(Status(routing, deliveries));
    }
}
