using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Routing;

/// <summary>The event type names receivers see and endpoints subscribe to.</summary>
public static class EventTypes
{
    public const string RewardRedeemed = "reward.redeemed";
    public const string RewardRedemptionFailed = "reward.redemption_failed";
    public const string RewardRedemptionReversed = "reward.redemption_reversed";
    public const string DeliveryDeadLettered = "delivery.dead_lettered";
    public const string EndpointDisabled = "endpoint.disabled";
    public const string EndpointRecovered = "endpoint.recovered";

    /// <summary>The types producers may publish.</summary>
    public static IReadOnlySet<string> Ingestible { get; } =
        new HashSet<string>(StringComparer.Ordinal) { RewardRedeemed, RewardRedemptionFailed, RewardRedemptionReversed };

    /// <summary>The types endpoints may subscribe to: the ingestible ones plus the fleet's operational ones.</summary>
    public static IReadOnlySet<string> Subscribable { get; } =
        new HashSet<string>(Ingestible, StringComparer.Ordinal) { DeliveryDeadLettered, EndpointDisabled, EndpointRecovered };

    public static bool IsOperational(string eventType) =>
        eventType is DeliveryDeadLettered or EndpointDisabled or EndpointRecovered;

    public static string Of(RewardEvent message) => message switch
    {
        Contracts.RewardRedeemed => RewardRedeemed,
        Contracts.RewardRedemptionFailed => RewardRedemptionFailed,
        Contracts.RewardRedemptionReversed => RewardRedemptionReversed,
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "Unknown reward event."),
    };
}
