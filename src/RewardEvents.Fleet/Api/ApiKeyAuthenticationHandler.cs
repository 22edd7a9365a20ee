using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against the configured bootstrap keys and the
/// <c>api_keys</c> table. The principal carries the key's id and one <c>scope</c> claim per granted scope.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ConfiguredApiKeys configured, RewardEventsDbContext db, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string MissingKey = "Send the API key as 'Authorization: Bearer <key>'.";
    public const string InvalidKey = "The API key is not valid.";
    public const string RevokedKey = "The API key has been revoked.";

    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200)
        {
            return AuthenticateResult.Fail(InvalidKey);
        }

        var hash = ApiKeySecret.Hash(key);
        if (configured.Find(hash) is { } bootstrap)
        {
            return Success(bootstrap.Id, bootstrap.Scopes);
        }

        // Looked up by hash with ordinary equality: the hash of a 256-bit random key reveals nothing
        // useful through timing, unlike a comparison against the key itself.
        var hex = Convert.ToHexStringLower(hash);
        var stored = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hex, Context.RequestAborted);
        if (stored is null)
        {
            return AuthenticateResult.Fail(InvalidKey);
        }

        if (stored.RevokedAt is not null)
        {
            return AuthenticateResult.Fail(RevokedKey);
        }

        // Coarse on purpose: one write a minute per key, not one per request.
        var now = time.GetUtcNow().UtcDateTime;
        if (stored.LastUsedAt is null || now - stored.LastUsedAt.Value > LastUsedResolution)
        {
            var stale = now - LastUsedResolution;
            await db.ApiKeys.Where(k => k.Id == stored.Id && (k.LastUsedAt == null || k.LastUsedAt < stale))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
        }

        return Success(stored.Id, stored.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    // 401 and 403 answers are problem details written by ApiAuthorizationResultHandler.
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => Task.CompletedTask;

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => Task.CompletedTask;

    private AuthenticateResult Success(string keyId, IEnumerable<string> scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, keyId) };
        claims.AddRange(scopes.Select(s => new Claim(ApiScopes.ClaimType, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
