using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RewardEvents.Contracts;

namespace RewardEvents.Benchmarks.Micro;

/// <summary>Turning a reward event into its snake_case webhook JSON with System.Text.Json.</summary>
[MemoryDiagnoser]
public class PayloadSerializationBenchmarks
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly RewardRedeemed _event = SampleEvents.Redeemed(7, 50);

    [Benchmark(Baseline = true)]
    public byte[] Utf8JsonWriter_by_hand() => SampleEvents.WebhookBody(_event, 7);

    [Benchmark]
    public byte[] JsonSerializer_snake_case() => JsonSerializer.SerializeToUtf8Bytes(_event, SnakeCase);
}
