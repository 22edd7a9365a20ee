namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// One ceiling: the rate a single component reaches alone (for the broker the slower of publishing and
/// consuming, since every delivery does both), and the CPU one message or request cost while it ran:
/// milliseconds per message for the whole machine, RabbitMQ's processes and this process (client and
/// receiver), read from /proc as for the fleet runs, so the two compare on any machine.
/// </summary>
public sealed record CeilingResult(
    string Name, int Messages, int Concurrency, int BodyBytes, double PerSecond, IReadOnlyDictionary<string, double> Detail,
    IReadOnlyDictionary<string, double> CpuMsPerMessage);
