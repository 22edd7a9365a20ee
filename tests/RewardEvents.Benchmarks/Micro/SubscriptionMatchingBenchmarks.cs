using BenchmarkDotNet.Attributes;
using RewardEvents.Persistence;

namespace RewardEvents.Benchmarks.Micro;

/// <summary>Picking the endpoints an event goes to, as the router does for every event (WebhookEndpoint.Subscribes).</summary>
public class SubscriptionMatchingBenchmarks
{
    private WebhookEndpoint[] _endpoints = [];

    [Params(10, 1000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup() => _endpoints = Enumerable.Range(0, Endpoints).Select(i => new WebhookEndpoint
    {
        Id = $"ep_{i:D5}",
        Url = $"https://hooks.example.com/{i}",
        Secrets = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        // A third take everything, a third only redemptions, a third only failures and reversals.
        EventTypes = (i % 3) switch
        {
            0 => "",
            1 => "reward.redeemed",
            _ => "reward.redemption_failed,reward.redemption_reversed",
        },
    }).ToArray();

    [Benchmark]
    public int Match_reward_redeemed()
    {
        var count = 0;
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.Subscribes("reward.redeemed"))
            {
                count++;
            }
        }

        return count;
    }
}
