namespace RewardEvents.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
}
