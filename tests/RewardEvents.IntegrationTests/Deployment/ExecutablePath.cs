namespace RewardEvents.IntegrationTests.Deployment;

/// <summary>Whether a command is on PATH, found the way a shell would, without starting it.</summary>
internal static class ExecutablePath
{
    public static bool Exists(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, command)));
}
