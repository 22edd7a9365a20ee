using BenchmarkDotNet.Attributes;
using RewardEvents.Webhooks;

namespace RewardEvents.Benchmarks.Micro;

/// <summary>Signing one webhook body, with one secret and with two (during a rotation).</summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private readonly byte[] _body = SampleEvents.WebhookBody(7, 50);
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly WebhookSigner _one = new(WebhookSecret.Generate());
    private readonly WebhookSigner _rotating = new(WebhookSecret.Generate(), WebhookSecret.Generate());

    [Benchmark(Baseline = true)]
    public string Sign_with_one_secret() => _one.Sign("msg_2Kc9bench", _now, _body);

    [Benchmark]
    public string Sign_with_two_secrets() => _rotating.Sign("msg_2Kc9bench", _now, _body);
}
