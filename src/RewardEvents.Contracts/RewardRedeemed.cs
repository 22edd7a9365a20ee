namespace RewardEvents.Contracts;

/// <summary>
/// A user redeemed a reward. Delivered to endpoints as <c>reward.redeemed</c>.
/// </summary>
/// <remarks>
/// The wire identity is <c>urn:message:RewardEvents.Contracts:RewardRedeemed</c>: never rename or move this type.
/// </remarks>
public sealed record RewardRedeemed : RewardEvent;
