using System.Diagnostics;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// Waits until every process whose command line mentions a marker (a data directory, a node name)
/// is gone. A server that its guard reports stopped may still have its main process finishing a
/// shutdown checkpoint; starting the next instance on the same data before then fails (PostgreSQL:
/// "pre-existing shared memory block") or loses data (RabbitMQ). After the deadline the leftovers
/// are killed, so a restart never runs beside its predecessor.
/// </summary>
internal static class ProcessLeftovers
{
    public static async Task WaitUntilGoneAsync(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Find(marker).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                foreach (var pid in Find(marker))
                {
                    try
                    {
                        using var process = Process.GetProcessById(pid);
                        process.Kill();
                    }
                    catch (ArgumentException)
                    {
                        // Already gone.
                    }
                }

                deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Whether any process still carries <paramref name="marker"/> (see <see cref="WaitUntilGoneAsync"/>).</summary>
    public static bool AnyAlive(string marker) => Find(marker).Count > 0;

    private static List<int> Find(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                // PostgreSQL's backends rename themselves ("postgres: user db ...") but keep the data
                // directory as their working directory, and they hold the shared memory a new postmaster needs.
                var workingDirectory = File.ResolveLinkTarget(Path.Combine(dir, "cwd"), returnFinalTarget: false)?.FullName;
                if (commandLine.Contains(marker, StringComparison.Ordinal)
                    || (workingDirectory is not null && workingDirectory.StartsWith(marker, StringComparison.Ordinal)))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}
