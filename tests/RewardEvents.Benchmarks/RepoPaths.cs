namespace RewardEvents.Benchmarks;

/// <summary>Where the repository is, found from the benchmark's own location or the working directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "RewardEvents.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("RewardEvents.sln not found above " + AppContext.BaseDirectory);
    }
}
