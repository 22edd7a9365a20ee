namespace RewardEvents.Benchmarks.Micro;

/// <summary>One micro-benchmark's mean time per operation and allocation.</summary>
public sealed record MicroResult(string Name, double MeanNs, long AllocatedBytes);
