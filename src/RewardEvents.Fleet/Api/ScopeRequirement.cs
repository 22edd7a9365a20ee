using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// The key must hold the scope its route declares with <see cref="RequiredScopeExtensions.RequireScope"/>.
/// A route that declares none needs <c>admin</c>: a route added without thinking of scopes fails closed.
/// </summary>
internal sealed class ScopeRequirement : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public const string Policy = "ApiKeyScope";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var scope = ScopeOf((context.Resource as HttpContext)?.GetEndpoint());
        if (context.User.HasClaim(ApiScopes.ClaimType, scope))
        {
            context.Succeed(requirement);
        }
        else if (context.User.Identity?.IsAuthenticated == true)
        {
            context.Fail(new AuthorizationFailureReason(this, $"This API key lacks the '{scope}' scope, which this request needs."));
        }

        return Task.CompletedTask;
    }

    public static string ScopeOf(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<RequiredScope>()?.Scope ?? ApiScopes.Admin;
}
