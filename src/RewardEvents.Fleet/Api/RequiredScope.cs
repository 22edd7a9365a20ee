using Microsoft.AspNetCore.Builder;

namespace RewardEvents.Fleet.Api;

/// <summary>Route metadata: the scope a key needs to call the route.</summary>
public sealed record RequiredScope(string Scope);

/// <summary>Declares a route's scope: <c>v1.MapGet(...).RequireScope(ApiScopes.EndpointsRead)</c>.</summary>
public static class RequiredScopeExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!ApiScopes.IsKnown(scope))
        {
            throw new ArgumentException($"Unknown scope '{scope}'.", nameof(scope));
        }

        return builder.WithMetadata(new RequiredScope(scope));
    }
}
