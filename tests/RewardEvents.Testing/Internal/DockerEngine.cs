using System.ComponentModel;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// Whether a Docker engine answers here, asked once per test run. The docker CLI may be
/// installed with no engine behind it, so the CLI's presence alone says nothing; `docker info`
/// only succeeds when the engine replies. A short timeout keeps a hung socket from stalling tests.
/// </summary>
internal static class DockerEngine
{
    private static readonly Lazy<bool> Answers = new(Probe);

    public static bool IsAvailable => Answers.Value;

    private static bool Probe()
    {
        try
        {
            var result = ProcessRunner.Run("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(5));
            return result.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            // No docker executable at all.
            return false;
        }
    }
}
