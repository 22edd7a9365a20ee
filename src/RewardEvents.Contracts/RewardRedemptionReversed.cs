namespace RewardEvents.Contracts;

/// <summary>
/// A completed redemption was reversed (refunded, cancelled). Delivered as <c>reward.redemption_reversed</c>.
/// </summary>
/// <remarks>
/// The wire identity is <c>urn:message:RewardEvents.Contracts:RewardRedemptionReversed</c>: never rename or move this type.
/// </remarks>
public sealed record RewardRedemptionReversed : RewardEvent;
