using System.Text.Json;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// Custom headers an endpoint asks for on every webhook. Headers the fleet sets itself, that describe
/// the transport, or that carry credentials are refused: authentication is the signature's job.
/// </summary>
internal static class EndpointHeaders
{
    public const int MaxHeaders = 20;
    public const int MaxValueLength = 1000;

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "content-type", "content-encoding", "transfer-encoding", "connection", "keep-alive", "upgrade",
        "te", "trailer", "expect", "user-agent", "traceparent", "tracestate", "authorization", "cookie",
    };

    public static bool IsReserved(string name) =>
        Reserved.Contains(name) || name.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("proxy-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Validates a JSON object of header names to string values; returns it as stored JSON.</summary>
    public static string? Parse(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors["headers"] = ["Must be an object of header names to string values."];
            return null;
        }

        var headers = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in value.EnumerateObject())
        {
            var key = $"headers.{header.Name}";
            if (header.Name.Length is 0 or > 100 || !header.Name.All(IsTokenChar))
            {
                errors[key] = ["Not a valid header name."];
            }
            else if (IsReserved(header.Name))
            {
                errors[key] = ["Reserved: webhook-*, proxy-*, host, content-*, transfer and connection headers, user-agent, trace context, authorization and cookie are set by the fleet or refused."];
            }
            else if (header.Value.ValueKind != JsonValueKind.String || header.Value.GetString()!.Length > MaxValueLength
                || header.Value.GetString()!.Any(c => c is '\r' or '\n' or '\0'))
            {
                errors[key] = [$"Must be a single-line string of at most {MaxValueLength} characters."];
            }
            else if (!headers.TryAdd(header.Name.ToLowerInvariant(), header.Value.GetString()!))
            {
                errors[key] = ["Given twice."];
            }
        }

        if (headers.Count > MaxHeaders)
        {
            errors["headers"] = [$"At most {MaxHeaders} headers."];
        }

        return headers.Count == 0 ? null : JsonSerializer.Serialize(headers);
    }

    /// <summary>The stored headers, in name order.</summary>
    public static IReadOnlyDictionary<string, string> Read(string? stored) =>
        string.IsNullOrEmpty(stored)
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(stored) ?? new Dictionary<string, string>();

    // RFC 9110 token characters.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
