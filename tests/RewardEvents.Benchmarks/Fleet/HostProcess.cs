using System.Diagnostics;
using System.Globalization;
using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// A product host (Api, Router, Worker) started from the Release build as its own process, with its
/// output in a log file, so its peak RSS is its own. Killed on dispose and when the benchmark exits.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _logFile;
    private long _peakRssKb;

    private HostProcess(string name, Process process, string baseUrl, string logFile)
    {
        Name = name;
        _process = process;
        BaseUrl = baseUrl;
        _logFile = logFile;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public string Name { get; }

    public string BaseUrl { get; }

    public int ProcessId => _process.Id;

    public static HostProcess Start(string host, string name, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var dll = Path.Combine(RepoPaths.Root, "src", $"RewardEvents.{host}", "bin", "Release", "net10.0", $"RewardEvents.{host}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution in Release first (dotnet build -c Release): {dll} is missing.", dll);
        }

        Directory.CreateDirectory(logDirectory);
        var logFile = Path.Combine(logDirectory, $"{name}.log");
        var baseUrl = $"http://127.0.0.1:{FreePort.Next()}";
        // exec keeps the pid: /proc/<pid>/status is the host's own, not a shell's.
        // Started from its own directory, as its image starts it (WORKDIR /app): its appsettings.json is read
        // from the working directory, and without it every SQL command was logged (EF Core's Information).
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet \"$0\" > \"$1\" 2>&1", dll, logFile])
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = baseUrl;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        return new HostProcess(name, process, baseUrl, logFile);
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{LogTail()}");
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
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
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

    public string LogTail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(_logFile).TakeLast(lines));
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        PeakRssMib();
        Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
