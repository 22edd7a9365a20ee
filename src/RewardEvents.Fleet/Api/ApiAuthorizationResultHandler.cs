using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace RewardEvents.Fleet.Api;

/// <summary>Answers a refused request with a problem detail: 401 names what is wrong with the key, 403 the missing scope.</summary>
internal sealed class ApiAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Challenged)
        {
            // The handler caches its result per request, so this does not look the key up again.
            var authentication = await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
            var detail = authentication.Failure?.Message ?? ApiKeyAuthenticationHandler.MissingKey;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Unauthorized(detail).ExecuteAsync(context);
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message
                ?? $"This API key lacks the '{ScopeRequirement.ScopeOf(context.GetEndpoint())}' scope, which this request needs.";
            await Problems.Forbidden(reason).ExecuteAsync(context);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
