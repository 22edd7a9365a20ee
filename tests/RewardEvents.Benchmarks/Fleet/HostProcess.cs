using System.Globalization;
using RewardEvents.Testing;
using RewardEvents.Testing.Internal;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// A product host (Api, Router, Worker) started from the Release build as its own process, with its
/// output in a log file, so its peak RSS is its own. It runs under the test servers' guard: stopped with
/// SIGTERM on dispose, and stopped by the guard when the benchmark is gone, even SIGKILLed.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly GuardedServerProcess _process;
    private readonly string _guardDirectory;
    private long _peakRssKb;

    private HostProcess(string name, GuardedServerProcess process, int processId, string guardDirectory, string baseUrl)
    {
        Name = name;
        _process = process;
        ProcessId = processId;
        _guardDirectory = guardDirectory;
        BaseUrl = baseUrl;
    }

    public string Name { get; }

    public string BaseUrl { get; }

    /// <summary>The host's own pid, whose /proc entries give its CPU time and memory.</summary>
    public int ProcessId { get; }

    public static async Task<HostProcess> StartAsync(string host, string name, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var dll = Path.Combine(RepoPaths.Root, "src", $"RewardEvents.{host}", "bin", "Release", "net10.0", $"RewardEvents.{host}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution in Release first (dotnet build -c Release): {dll} is missing.", dll);
        }

        Directory.CreateDirectory(logDirectory);
        var logFile = Path.Combine(logDirectory, $"{name}.log");
        File.Delete(logFile); // the guard appends
        var baseUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string>(settings)
        {
            ["ASPNETCORE_URLS"] = baseUrl,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };

        // The guard's script, stop and pid files live apart from the logs: the guard deletes its directory when
        // the benchmark is gone, and the logs are what tells why a run went wrong.
        var guardDirectory = Directory.CreateTempSubdirectory("rewardevents-bench-host-").FullName;
        // Started from its own directory, as its image starts it (WORKDIR /app): its appsettings.json is read
        // from the working directory, and without it every SQL command was logged (EF Core's Information).
        var process = GuardedServerProcess.Start(guardDirectory, name, "TERM", ["dotnet", dll], environment,
            logFile: logFile, workingDirectory: Path.GetDirectoryName(dll));
        try
        {
            var processId = await process.ServerProcessIdAsync(TimeSpan.FromSeconds(10));
            return new HostProcess(name, process, processId, guardDirectory, baseUrl);
        }
        catch
        {
            await StopAsync(process, guardDirectory);
            throw;
        }
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited:\n{LogTail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseUrl + "/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow to answer while starting
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout}:\n{LogTail()}");
    }

    /// <summary>VmHWM: the most resident memory the process has had so far, in MiB.</summary>
    public double PeakRssMib()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    _peakRssKb = Math.Max(_peakRssKb, kb);
                }
            }
        }
        catch (IOException)
        {
            // exited: keep the last reading
        }

        return _peakRssKb / 1024.0;
    }

    public string LogTail(int lines = 30) => _process.LogTail(lines);

    /// <summary>Stops the host as an orchestrator would (SIGTERM, SIGKILL after 20 s) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        PeakRssMib();
        await StopAsync(_process, _guardDirectory);
    }

    private static async Task StopAsync(GuardedServerProcess process, string guardDirectory)
    {
        await process.StopAsync(StopTimeout);
        process.Dispose();
        try
        {
            Directory.Delete(guardDirectory, recursive: true);
        }
        catch (IOException)
        {
            // the guard removes it itself when this process is gone
        }
    }
}
