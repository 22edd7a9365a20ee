using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace RewardEvents.Fleet.Api;

/// <summary>Requires <c>Authorization: Bearer &lt;key&gt;</c> with a key from <c>Security:ApiKeys</c>.</summary>
internal sealed class ApiKeyFilter(IOptions<SecurityOptions> options) : IEndpointFilter
{
    private readonly byte[][] _keys = options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Unauthorized("Send the API key as 'Authorization: Bearer <key>'.");
        }

        // Compare hashes in constant time so neither the key nor its length leaks through timing.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        var match = false;
        foreach (var key in _keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(key, presented);
        }

        return match ? await next(context) : Problems.Unauthorized("The API key is not valid.");
    }
}
