using System.Diagnostics;
using System.Runtime;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// Unmeasured rounds before a ceiling is measured, each the size of the measured one, until this process spent no
/// more than a given share of a round compiling, as the fleet's hosts are warmed up before theirs. A path run for
/// the first time costs several times its steady cost: measured right after one round of 1,000, the MassTransit hop
/// took 0.43–0.70 ms of machine CPU per message, with its process compiling for half of the measured window. Rounds
/// shorter than the measured one end the warm-up too early: the runtime puts off recompiling hot methods while it
/// is still compiling new ones, so a short round can look quiet just before that work comes due.
/// </summary>
public static class CeilingWarmup
{
    /// <returns>The number of rounds run.</returns>
    public static async Task<int> RunAsync(Func<int, Task> round, int messages, int maxRounds, double jitShare)
    {
        ArgumentNullException.ThrowIfNull(round);
        var rounds = 0;
        while (rounds < maxRounds)
        {
            rounds++;
            var jitAtStart = JitInfo.GetCompilationTime();
            var clock = Stopwatch.StartNew();
            await round(messages);
            if (JitInfo.GetCompilationTime() - jitAtStart <= clock.Elapsed * jitShare)
            {
                break;
            }
        }

        return rounds;
    }
}
