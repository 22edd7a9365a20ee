namespace RewardEvents.Contracts;

/// <summary>
/// A user's attempt to redeem a reward failed. Delivered as <c>reward.redemption_failed</c>.
/// </summary>
/// <remarks>
/// The wire identity is <c>urn:message:RewardEvents.Contracts:RewardRedemptionFailed</c>: never rename or move this type.
/// </remarks>
public sealed record RewardRedemptionFailed : RewardEvent;
