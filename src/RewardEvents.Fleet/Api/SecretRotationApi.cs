using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.Webhooks;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// <c>POST /v1/endpoints/{id}/secret/rotate</c>: a new signing secret, shown once; the previous one keeps
/// signing alongside it (two signatures per webhook) for a grace period, so receivers can switch at leisure.
/// </summary>
internal static class SecretRotationApi
{
    private const int MinKeyBytes = 24;
    private const int MaxKeyBytes = 64;

    public static void Map(RouteGroupBuilder v1) =>
        v1.MapPost("/endpoints/{id}/secret/rotate", RotateAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("RotateEndpointSecret")
            .Produces<SecretRotated>().ProducesValidationProblem()
            .WithSummary("Issue a new signing secret (or set the one given); the previous one also signs until the grace period ends.");

    private static async Task<IResult> RotateAsync(
        string id, HttpRequest request, RewardEventsDbContext db, EndpointSecrets secrets, IOptions<DeliveryOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? given = null;
        var grace = options.Value.SecretRotationGrace;
        if (request.ContentLength is not 0 && request.HasJsonContentType())
        {
            var (document, error) = await JsonBody.ReadAsync(request, 4096, cancellationToken);
            if (error is not null)
            {
                return error;
            }

            using (document)
            {
                given = SecretOf(document!.RootElement, errors);
                grace = GraceOf(document.RootElement, grace, errors);
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var endpoint = await db.Endpoints.FirstOrDefaultAsync(e => e.Id == id && e.DeletedAt == null, cancellationToken);
        if (endpoint is null)
        {
            return EndpointsApi.Missing(id);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var current = secrets.Open(endpoint.Secrets).Where(s => s.IsActive(now)).ToList();
        var secret = given ?? WebhookSecret.Generate().ToString();
        DateTime? previousUntil = grace > TimeSpan.Zero && current.Count > 0 ? now + grace : null;
        // The new secret first; the one it replaces until the grace ends; one still in an earlier grace keeps its own end.
        var next = new List<EndpointSecret> { new(secret, null) };
        if (previousUntil is not null)
        {
            next.Add(current[0] with { ExpiresAt = previousUntil });
            next.AddRange(current.Skip(1).Where(s => s.ExpiresAt is not null).Take(1));
        }

        endpoint.Secrets = secrets.Seal(next);
        endpoint.Version++;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Conflict($"Endpoint '{id}' was changed by another request at the same time; try again.");
        }

        return Results.Ok(new SecretRotated(id, secret, previousUntil));
    }

    private static string? SecretOf(System.Text.Json.JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("secret", out var value) || value.ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            return null;
        }

        const string Rule = "Must be 'whsec_' followed by the base64 of 24 to 64 random bytes.";
        if (value.ValueKind != System.Text.Json.JsonValueKind.String || !value.GetString()!.StartsWith(WebhookSecret.Prefix, StringComparison.Ordinal))
        {
            errors["secret"] = [Rule];
            return null;
        }

        try
        {
            var parsed = WebhookSecret.Parse(value.GetString()!);
            if (parsed.Key.Length is < MinKeyBytes or > MaxKeyBytes)
            {
                errors["secret"] = [Rule];
                return null;
            }

            return parsed.ToString();
        }
        catch (FormatException)
        {
            errors["secret"] = [Rule];
            return null;
        }
    }

    private static TimeSpan GraceOf(System.Text.Json.JsonElement body, TimeSpan fallback, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("grace", out var value) || value.ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            return fallback;
        }

        var text = value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : "";
        if (text is "0" or "0s")
        {
            return TimeSpan.Zero;
        }

        if (!RetrySchedule.TryParseDelay(text, out var grace))
        {
            errors["grace"] = ["Must be a duration up to 7d, such as 0s, 10m, 24h; the previous secret signs alongside the new one that long."];
        }

        return grace;
    }
}
