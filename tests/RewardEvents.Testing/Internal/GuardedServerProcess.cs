using System.Diagnostics;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// A server process (RabbitMQ, PostgreSQL) started through guard.sh, so it dies with the test
/// process even when that one is SIGKILLed and never reaches DisposeAsync.
/// </summary>
internal sealed class GuardedServerProcess : IDisposable
{
    private readonly Process _guard;
    private readonly string _stopFile;

    private GuardedServerProcess(Process guard, string stopFile, string logFile)
    {
        _guard = guard;
        _stopFile = stopFile;
        LogFile = logFile;
    }

    public string LogFile { get; }

    public bool HasExited => _guard.HasExited;

    /// <param name="workDirectory">Holds the guard script, its stop file and the server's log.</param>
    /// <param name="name">Names the log and stop files, so restarts keep appending to one log.</param>
    /// <param name="stopSignal">What the server treats as a clean, prompt shutdown (TERM, INT).</param>
    /// <param name="runAsUser">Starts the guard (and so the server) as this user via runuser.</param>
    public static GuardedServerProcess Start(
        string workDirectory,
        string name,
        string stopSignal,
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string> environment,
        string? runAsUser = null)
    {
        var script = Path.Combine(workDirectory, "guard.sh");
        if (!File.Exists(script))
        {
            using var resource = typeof(GuardedServerProcess).Assembly.GetManifestResourceStream("RewardEvents.Testing.guard.sh")
                ?? throw new InvalidOperationException("guard.sh is missing from RewardEvents.Testing's resources.");
            using var file = File.Create(script);
            resource.CopyTo(file);
        }

        var stopFile = Path.Combine(workDirectory, name + ".stop");
        var logFile = Path.Combine(workDirectory, name + ".log");
        File.Delete(stopFile);

        var startInfo = new ProcessStartInfo { UseShellExecute = false };
        if (runAsUser is null)
        {
            startInfo.FileName = "/bin/sh";
        }
        else
        {
            startInfo.FileName = "runuser";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(runAsUser);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add("/bin/sh");
        }

        foreach (var argument in (string[])[script, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), stopFile, stopSignal, logFile, .. command])
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var guard = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        return new GuardedServerProcess(guard, stopFile, logFile);
    }

    /// <summary>Asks the guard to stop the server cleanly and waits until the server is gone.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_guard.HasExited)
        {
            return;
        }

        // A file, not a signal: runuser would turn our SIGTERM into a SIGKILL of the guard after
        // two seconds, which is shorter than a clean RabbitMQ shutdown.
        await File.WriteAllTextAsync(_stopFile, "stop");
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _guard.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _guard.Kill(entireProcessTree: true);
            await _guard.WaitForExitAsync();
        }
    }

    public string LogTail(int lines = 40)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException ex)
        {
            return $"(no log: {ex.Message})";
        }
    }

    public void Dispose() => _guard.Dispose();
}
