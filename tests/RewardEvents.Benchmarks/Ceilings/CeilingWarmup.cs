namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// Unmeasured rounds before a ceiling is measured, each the size of the measured one, until this process has spent
/// no more than a given share of a round compiling in two rounds in a row, as the fleet's hosts are warmed up before
/// theirs. A path run for the first time costs several times its steady cost: measured right after one round of
/// 1,000, the MassTransit hop took 0.43–0.70 ms of machine CPU per message, with its process compiling for half of the
/// measured window. Rounds shorter than the measured one end the warm-up too early: the runtime puts off recompiling
/// hot methods while it is still compiling new ones, so a short round can look quiet just before that work comes due.
/// </summary>
public static class CeilingWarmup
{
    /// <summary>Quiet rounds in a row that end the warm-up: the runtime's recompiling comes in bursts.</summary>
    private const int QuietRounds = 2;

    /// <returns>The number of rounds run.</returns>
    public static async Task<int> RunAsync(Func<int, Task> round, int messages, int maxRounds, double jitShare)
    {
        ArgumentNullException.ThrowIfNull(round);
        var rounds = 0;
        var quiet = 0;
        while (rounds < maxRounds && quiet < QuietRounds)
        {
            rounds++;
            // Read as the measured round is, so that the reading's own code is warm too: its first use, in the first
            // ceiling, had the runtime recompiling what it called during that ceiling's measured round (42-72 ms).
            var window = CeilingWindow.Start();
            await round(messages);
            var (elapsed, _, jitMs) = window.Stop(messages);
            quiet = jitMs <= elapsed.TotalMilliseconds * jitShare ? quiet + 1 : 0;
        }

        return rounds;
    }
}
