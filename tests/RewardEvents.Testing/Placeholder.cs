namespace RewardEvents.Testing;

internal static class Placeholder
{
}
