using System.Diagnostics;
using System.Runtime;
using RewardEvents.Benchmarks.Fleet;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>A ceiling's measured window: its wall time, the CPU per message from /proc, and this process's JIT time in it.</summary>
public sealed class CeilingWindow
{
    private readonly CpuTime _cpuAtStart = CpuTime.Read();
    private readonly TimeSpan _jitAtStart = JitInfo.GetCompilationTime();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public static CeilingWindow Start() => new();

    /// <summary>Closes the window over <paramref name="messages"/> messages or requests.</summary>
    public (TimeSpan Elapsed, IReadOnlyDictionary<string, double> CpuMsPerMessage, double JitMs) Stop(int messages)
    {
        var elapsed = _clock.Elapsed;
        // The JIT first: working out the CPU figures compiles code of this process's own on the first window.
        var jitMs = (JitInfo.GetCompilationTime() - _jitAtStart).TotalMilliseconds;
        return (elapsed, CpuTime.Read().MsPerUnitSince(_cpuAtStart, messages), jitMs);
    }
}
