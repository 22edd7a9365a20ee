namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// One ceiling: the rate a single component reaches alone (for the broker the slower of publishing and
/// consuming, since every delivery does both).
/// </summary>
public sealed record CeilingResult(string Name, int Messages, int Concurrency, int BodyBytes, double PerSecond, IReadOnlyDictionary<string, double> Detail);
