using System.Diagnostics;
using RewardEvents.Testing;
using RewardEvents.Testing.Internal;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>
/// A product host (Worker, Router, Api) running as its own operating-system process, built by the
/// solution build, so tests can SIGKILL or SIGTERM it like an orchestrator would. It runs under the
/// test fixtures' guard, so it never outlives the test run.
/// </summary>
public sealed class FleetProcess : IAsyncDisposable
{
    private readonly GuardedServerProcess _process;
    private readonly string _marker;

    private FleetProcess(GuardedServerProcess process, string marker, string baseUrl)
    {
        _process = process;
        _marker = marker;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public bool HasExited => _process.HasExited;

    /// <param name="startIn">The host's working directory; by default the test's own.</param>
    public static FleetProcess Start(string host, IReadOnlyDictionary<string, string?> settings, string workDirectory, string? startIn = null)
    {
        var dll = Path.Combine(BuildOutput("src", $"RewardEvents.{host}"), $"RewardEvents.{host}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution first: {dll} is missing.", dll);
        }

        var port = FreePort.Next();
        var marker = Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["DOTNET_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__RewardEvents"] = "Information",
        };
        foreach (var (key, value) in settings)
        {
            if (value is not null)
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        Directory.CreateDirectory(workDirectory);
        var process = GuardedServerProcess.Start(workDirectory, $"{host.ToLowerInvariant()}-{marker[..8]}", "TERM",
            ["dotnet", dll, $"--marker={marker}"], environment, workingDirectory: startIn);
        return new FleetProcess(process, marker, $"http://127.0.0.1:{port}");
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The process exited:\n{_process.LogTail()}");
            }

            using var response = await client.GetAsync(BaseUrl + "/health/ready");
            return response.IsSuccessStatusCode;
        }, timeout, $"{BaseUrl} becomes ready");
    }

    /// <summary>SIGKILL: the process dies mid-whatever, as in a node failure.</summary>
    public Task KillAsync() => SignalAsync("KILL");

    /// <summary>SIGTERM: the graceful stop an orchestrator asks for.</summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    public string LogTail(int lines = 60) => _process.LogTail(lines);

    /// <summary>
    /// Waits until no process carries this host's marker any more. (<see cref="HasExited"/> is the
    /// guard's state, and a signal sent by marker reaches the guard too, so it can be true while the
    /// host is still shutting down.)
    /// </summary>
    public Task WaitForExitAsync(TimeSpan timeout) =>
        Eventually.UntilAsync(() => Task.FromResult(!ProcessLeftovers.AnyAlive(_marker)), timeout, "the host process exits");

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(20));
        _process.Dispose();
    }

    private async Task SignalAsync(string signal)
    {
        using var pkill = Process.Start("pkill", [$"-{signal}", "-f", _marker]) ?? throw new InvalidOperationException("pkill did not start");
        await pkill.WaitForExitAsync();
    }

    /// <summary>A project's build output (<c>bin/&lt;configuration&gt;/net10.0</c>), in the configuration these tests were built in.</summary>
    /// <param name="project">The project's directory, from the repository root.</param>
    internal static string BuildOutput(params string[] project)
    {
        var configuration = typeof(FleetProcess).Assembly.Location.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine([RepoRoot(), .. project, "bin", configuration, "net10.0"]);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RewardEvents.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RewardEvents.sln not found above " + AppContext.BaseDirectory);
    }
}
