using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary><c>/v1/api-keys</c>: create, list and revoke API keys (scope <c>admin</c>).</summary>
internal static class ApiKeysApi
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/api-keys", CreateAsync).RequireScope(ApiScopes.Admin).WithName("CreateApiKey")
            .WithSummary("Create an API key with the given scopes; the answer carries the key, shown only once.")
            .Produces<ApiKeyView>(StatusCodes.Status201Created).ProducesValidationProblem();
        v1.MapGet("/api-keys", ListAsync).RequireScope(ApiScopes.Admin).WithName("ListApiKeys")
            .WithSummary("Every API key created through the API, revoked ones included; never the keys themselves.")
            .Produces<IReadOnlyList<ApiKeyView>>();
        v1.MapDelete("/api-keys/{id}", RevokeAsync).RequireScope(ApiScopes.Admin).WithName("RevokeApiKey")
            .WithSummary("Revoke an API key: it is refused with 401 from now on.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, 4096, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var body = document!.RootElement;
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var name = body.TryGetProperty("name", out var nameValue) && nameValue.ValueKind == JsonValueKind.String ? nameValue.GetString()!.Trim() : "";
            if (name.Length is 0 or > 100)
            {
                errors["name"] = ["Required: a name of at most 100 characters saying who uses the key."];
            }

            var scopes = new List<string>();
            if (!body.TryGetProperty("scopes", out var scopesValue) || scopesValue.ValueKind != JsonValueKind.Array || scopesValue.GetArrayLength() == 0)
            {
                errors["scopes"] = [$"Required: a non-empty array of scopes among {string.Join(", ", ApiScopes.All)}."];
            }
            else
            {
                foreach (var item in scopesValue.EnumerateArray())
                {
                    var scope = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
                    if (!ApiScopes.IsKnown(scope))
                    {
                        errors["scopes"] = [$"Unknown scope {item}. Known: {string.Join(", ", ApiScopes.All)}."];
                        break;
                    }

                    if (!scopes.Contains(scope))
                    {
                        scopes.Add(scope);
                    }
                }
            }

            if (errors.Count > 0)
            {
                return Problems.Invalid(errors);
            }

            var key = ApiKeySecret.Generate();
            var stored = new ApiKey
            {
                Id = "key_" + NewId.NextGuid().ToString("N"),
                Name = name,
                Hash = ApiKeySecret.HashHex(key),
                Scopes = string.Join(' ', scopes),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            db.ApiKeys.Add(stored);
            await db.SaveChangesAsync(cancellationToken);
            return Results.Created($"/v1/api-keys/{stored.Id}", ApiKeyView.From(stored, key));
        }
    }

    private static async Task<IResult> ListAsync(RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);
        return Results.Ok(keys.Select(k => ApiKeyView.From(k)).ToList());
    }

    private static async Task<IResult> RevokeAsync(string id, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (!await db.ApiKeys.AnyAsync(k => k.Id == id, cancellationToken))
        {
            return Problems.NotFound($"No API key '{id}'.");
        }

        // Revoking twice keeps the first revocation time.
        await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);
        return Results.NoContent();
    }
}
