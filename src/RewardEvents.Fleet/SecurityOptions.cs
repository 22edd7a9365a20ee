namespace RewardEvents.Fleet;

/// <summary>Configuration section <c>Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>Bearer keys the API accepts (<c>Security__ApiKeys__0</c>, …).</summary>
    public IList<string> ApiKeys { get; } = [];
}
