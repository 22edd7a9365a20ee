using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.Webhooks;

namespace RewardEvents.Fleet.Api;

/// <summary><c>/v1/endpoints</c>: the receivers' URLs, subscriptions and health.</summary>
internal static class EndpointsApi
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/endpoints", CreateAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("CreateEndpoint").WithSummary("Register an endpoint; the answer carries its signing secret, shown only once.")
            .Produces<EndpointView>(StatusCodes.Status201Created).ProducesValidationProblem();
        v1.MapGet("/endpoints/{id}", GetAsync).RequireScope(ApiScopes.EndpointsRead).WithName("GetEndpoint").WithSummary("An endpoint with its health.")
            .Produces<EndpointView>();
        v1.MapDelete("/endpoints/{id}", DeleteAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("DeleteEndpoint").WithSummary("Remove an endpoint; its history stays readable.")
            .Produces(StatusCodes.Status204NoContent);
        v1.MapPost("/endpoints/{id}/enable", EnableAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("EnableEndpoint").WithSummary("Turn a disabled endpoint back on and release what waited for it.")
            .Produces<EndpointView>();
        v1.MapPost("/endpoints/{id}/recover", RecoverAsync).RequireScope(ApiScopes.DeliveriesWrite).WithName("RecoverEndpoint").WithSummary("Re-attempt every dead-lettered delivery of the endpoint since a time.")
            .Produces(StatusCodes.Status202Accepted).ProducesValidationProblem();
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, RewardEventsDbContext db, DestinationPolicy destinations, TimeProvider time, CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, 64 * 1024, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var settings = EndpointRequest.Parse(document!.RootElement, errors);
            if (settings is null)
            {
                return Problems.Invalid(errors);
            }

            if (await destinations.CheckAsync(settings.Url, cancellationToken) is { } refused)
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["url"] = [refused] });
            }

            var secret = WebhookSecret.Generate().ToString();
            var endpoint = new WebhookEndpoint
            {
                Id = "ep_" + NewId.NextGuid().ToString("N"),
                Url = settings.Url.AbsoluteUri,
                Description = settings.Description,
                EventTypes = string.Join(',', settings.EventTypes),
                Ordering = settings.Ordering,
                RetrySchedule = settings.RetrySchedule,
                Secrets = secret,
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            db.Endpoints.Add(endpoint);
            await db.SaveChangesAsync(cancellationToken);
            return Results.Created($"/v1/endpoints/{endpoint.Id}", EndpointView.From(endpoint, endpoint.CreatedAt, secret));
        }
    }

    private static async Task<IResult> GetAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoint = await FindAsync(db, id, cancellationToken);
        return endpoint is null ? Missing(id) : Results.Ok(EndpointView.From(endpoint, time.GetUtcNow().UtcDateTime));
    }

    private static async Task<IResult> DeleteAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var deleted = await db.Endpoints.Where(e => e.Id == id && e.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.DeletedAt, now).SetProperty(e => e.Enabled, false), cancellationToken);
        return deleted == 0 ? Missing(id) : Results.NoContent();
    }

    private static async Task<IResult> EnableAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var enabled = await db.Endpoints.Where(e => e.Id == id && e.DeletedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Enabled, true)
                .SetProperty(e => e.DisabledReason, (string?)null)
                .SetProperty(e => e.ConsecutiveFailures, 0)
                .SetProperty(e => e.FailingSince, (DateTime?)null)
                .SetProperty(e => e.CircuitOpenUntil, (DateTime?)null), cancellationToken);
        if (enabled == 0)
        {
            return Missing(id);
        }

        // Everything that waited for the endpoint becomes due now; the workers' scheduler dispatches it in order.
        await db.Deliveries.Where(d => d.EndpointId == id && (d.Status == DeliveryStatus.Waiting || d.Status == DeliveryStatus.Retrying))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now), cancellationToken);
        var endpoint = await FindAsync(db, id, cancellationToken);
        return Results.Ok(EndpointView.From(endpoint!, now));
    }

    private static async Task<IResult> RecoverAsync(
        string id, HttpRequest request, RewardEventsDbContext db, IDeliveryDispatcher dispatcher, IBus bus, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(db, id, cancellationToken) is null)
        {
            return Missing(id);
        }

        var (document, error) = await JsonBody.ReadAsync(request, 4096, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            if (!document!.RootElement.TryGetProperty("since", out var sinceValue) || sinceValue.ValueKind != System.Text.Json.JsonValueKind.String
                || !DateTimeOffset.TryParse(sinceValue.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal, out var since))
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["since"] = ["Required: an ISO 8601 time, e.g. '2026-05-05T10:00:00Z'."] });
            }

            var sinceUtc = since.UtcDateTime;
            var deliveries = await db.Deliveries.AsNoTracking()
                .Where(d => d.EndpointId == id && d.Status == DeliveryStatus.DeadLettered && d.FinalAt >= sinceUtc)
                .OrderBy(d => d.Sequence).ToListAsync(cancellationToken);
            var recovered = 0;
            foreach (var delivery in deliveries)
            {
                if (await ManualRetry.ReopenAsync(db, delivery, time.GetUtcNow().UtcDateTime, cancellationToken))
                {
                    await dispatcher.DispatchAsync(bus, DeliveryCommands.For(delivery), cancellationToken);
                    recovered++;
                }
            }

            return Results.Accepted(value: new { recovered });
        }
    }

    private static Task<WebhookEndpoint?> FindAsync(RewardEventsDbContext db, string id, CancellationToken cancellationToken) =>
        db.Endpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.DeletedAt == null, cancellationToken);

    private static IResult Missing(string id) => Problems.NotFound($"No endpoint '{id}'.");
}
