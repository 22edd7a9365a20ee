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
        v1.MapGet("/endpoints", ListAsync).RequireScope(ApiScopes.EndpointsRead).WithName("ListEndpoints").WithSummary("Endpoints, newest first, optionally only enabled or disabled ones.")
            .Produces<Page<EndpointView>>().ProducesValidationProblem();
        v1.MapGet("/endpoints/{id}", GetAsync).RequireScope(ApiScopes.EndpointsRead).WithName("GetEndpoint").WithSummary("An endpoint with its health.")
            .Produces<EndpointView>();
        v1.MapPatch("/endpoints/{id}", UpdateAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("UpdateEndpoint").WithSummary("Change some of an endpoint's settings; null clears an optional one.")
            .Produces<EndpointView>().ProducesValidationProblem();
        v1.MapDelete("/endpoints/{id}", DeleteAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("DeleteEndpoint").WithSummary("Remove an endpoint; its history stays readable.")
            .Produces(StatusCodes.Status204NoContent);
        v1.MapPost("/endpoints/{id}/enable", EnableAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("EnableEndpoint").WithSummary("Turn a disabled endpoint back on and release what waited for it.")
            .Produces<EndpointView>();
        v1.MapPost("/endpoints/{id}/recover", RecoverAsync).RequireScope(ApiScopes.DeliveriesWrite).WithName("RecoverEndpoint").WithSummary("Re-attempt every dead-lettered delivery of the endpoint since a time.")
            .Produces(StatusCodes.Status202Accepted).ProducesValidationProblem();
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, RewardEventsDbContext db, EndpointSecrets secrets, DestinationPolicy destinations, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, 64 * 1024, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var settings = EndpointRequest.ParseCreate(document!.RootElement, errors);
            if (settings is null)
            {
                return Problems.Invalid(errors);
            }

            if (await RefusedDestinationAsync(settings.Url!, destinations, cancellationToken) is { } refused)
            {
                return refused;
            }

            var secret = WebhookSecret.Generate().ToString();
            var endpoint = new WebhookEndpoint
            {
                Id = "ep_" + NewId.NextGuid().ToString("N"),
                Url = settings.Url!.AbsoluteUri,
                Secrets = secrets.Seal([new EndpointSecret(secret, null)]),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            settings.ApplyTo(endpoint);
            db.Endpoints.Add(endpoint);
            await SaveAsync(db, cancellationToken);
            return Results.Created($"/v1/endpoints/{endpoint.Id}", EndpointView.From(endpoint, endpoint.CreatedAt, secret));
        }
    }

    private static async Task<IResult> ListAsync(
        RewardEventsDbContext db, TimeProvider time, bool? enabled, int? offset, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var query = db.Endpoints.AsNoTracking().Where(e => e.DeletedAt == null);
        if (enabled is { } wanted)
        {
            query = query.Where(e => e.Enabled == wanted);
        }

        var (page, error) = await query.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id).ReadPageAsync(Keyset, offset, cursor, limit, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        return error ?? Results.Ok(new Page<EndpointView>(page!.Rows.Select(e => EndpointView.From(e, now)).ToList(), page.NextOffset, page.NextCursor));
    }

    /// <summary>The listing's cursor: the last endpoint's creation time and id, the listing's order.</summary>
    private static readonly Keyset<WebhookEndpoint> Keyset = new(
        "endpoints",
        e => CursorKey.Of(e.CreatedAt, e.Id),
        key => CursorKey.TryRead(key, out DateTime createdAt, out string id)
            ? e => e.CreatedAt <= createdAt && (e.CreatedAt < createdAt || string.Compare(e.Id, id) > 0)
            : null);

    private static async Task<IResult> UpdateAsync(
        string id, HttpRequest request, RewardEventsDbContext db, DestinationPolicy destinations, TimeProvider time, CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, 64 * 1024, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var endpoint = await db.Endpoints.FirstOrDefaultAsync(e => e.Id == id && e.DeletedAt == null, cancellationToken);
            if (endpoint is null)
            {
                return Missing(id);
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var settings = EndpointRequest.ParseUpdate(document!.RootElement, errors);
            if (settings is null)
            {
                return Problems.Invalid(errors);
            }

            if (settings.Has("url") && await RefusedDestinationAsync(settings.Url!, destinations, cancellationToken) is { } refused)
            {
                return refused;
            }

            // The worker reads the endpoint at every attempt, so a new url, ordering, headers or limit
            // applies to every delivery not yet attempted (and to the next attempt of a retrying one).
            var reenabled = settings.Has("enabled") && settings.Enabled && !endpoint.Enabled;
            settings.ApplyTo(endpoint);
            endpoint.Version++;
            try
            {
                await SaveAsync(db, cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Problems.Conflict($"Endpoint '{id}' was changed by another request at the same time; read it and try again.");
            }

            var now = time.GetUtcNow().UtcDateTime;
            if (reenabled)
            {
                await ReleaseAsync(db, id, now, cancellationToken);
            }

            return Results.Ok(EndpointView.From((await FindAsync(db, id, cancellationToken))!, now));
        }
    }

    /// <summary>Saves the endpoint added or changed, with the stamp that tells the router to read the endpoints again.</summary>
    private static Task SaveAsync(RewardEventsDbContext db, CancellationToken cancellationToken) =>
        EndpointsStamp.ChangeAsync(db, async () =>
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }, cancellationToken);

    private static async Task<IResult?> RefusedDestinationAsync(Uri url, DestinationPolicy destinations, CancellationToken cancellationToken)
    {
        var refused = await destinations.CheckAsync(url, cancellationToken);
        return refused is null ? null : Problems.Invalid(new Dictionary<string, string[]> { ["url"] = [refused] });
    }

    private static async Task<IResult> GetAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoint = await FindAsync(db, id, cancellationToken);
        return endpoint is null ? Missing(id) : Results.Ok(EndpointView.From(endpoint, time.GetUtcNow().UtcDateTime));
    }

    private static async Task<IResult> DeleteAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var deleted = await EndpointsStamp.ChangeAsync(
            db,
            async () => await db.Endpoints.Where(e => e.Id == id && e.DeletedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.DeletedAt, now).SetProperty(e => e.Enabled, false), cancellationToken) > 0,
            cancellationToken);
        return deleted ? Results.NoContent() : Missing(id);
    }

    private static async Task<IResult> EnableAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (!await ReleaseAsync(db, id, now, cancellationToken))
        {
            return Missing(id);
        }

        var endpoint = await FindAsync(db, id, cancellationToken);
        return Results.Ok(EndpointView.From(endpoint!, now));
    }

    /// <summary>Turns the endpoint on with a clean health record and makes everything that waited for it due now.</summary>
    private static async Task<bool> ReleaseAsync(RewardEventsDbContext db, string id, DateTime now, CancellationToken cancellationToken)
    {
        var enabled = await db.Endpoints.Where(e => e.Id == id && e.DeletedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Enabled, true)
                .SetProperty(e => e.DisabledReason, (string?)null)
                .SetProperty(e => e.ConsecutiveFailures, 0)
                .SetProperty(e => e.FailingSince, (DateTime?)null)
                .SetProperty(e => e.CircuitOpenUntil, (DateTime?)null), cancellationToken);
        if (enabled == 0)
        {
            return false;
        }

        // The workers' scheduler dispatches what waited, in order.
        await db.Deliveries.Where(d => d.EndpointId == id && (d.Status == DeliveryStatus.Waiting || d.Status == DeliveryStatus.Retrying))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now), cancellationToken);
        return true;
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

    internal static Task<WebhookEndpoint?> FindAsync(RewardEventsDbContext db, string id, CancellationToken cancellationToken) =>
        db.Endpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.DeletedAt == null, cancellationToken);

    internal static IResult Missing(string id) => Problems.NotFound($"No endpoint '{id}'.");
}
