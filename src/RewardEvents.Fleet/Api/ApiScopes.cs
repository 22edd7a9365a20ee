namespace RewardEvents.Fleet.Api;

/// <summary>What an API key may do. Scopes are independent: <c>admin</c> manages keys and grants nothing else.</summary>
public static class ApiScopes
{
    /// <summary>Post events (producers).</summary>
    public const string EventsWrite = "events:write";

    /// <summary>Read an event's routing and delivery status.</summary>
    public const string EventsRead = "events:read";

    public const string EndpointsRead = "endpoints:read";
    public const string EndpointsWrite = "endpoints:write";
    public const string DeliveriesRead = "deliveries:read";

    /// <summary>Replay: retry a delivery, recover an endpoint's dead letters.</summary>
    public const string DeliveriesWrite = "deliveries:write";

    /// <summary>Manage API keys.</summary>
    public const string Admin = "admin";

    /// <summary>The claim type carrying one granted scope.</summary>
    public const string ClaimType = "scope";

    public static IReadOnlyList<string> All { get; } =
        [EventsWrite, EventsRead, EndpointsRead, EndpointsWrite, DeliveriesRead, DeliveriesWrite, Admin];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
