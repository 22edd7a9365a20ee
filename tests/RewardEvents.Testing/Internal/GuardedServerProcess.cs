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
    private readonly string _pidFile;

    private GuardedServerProcess(Process guard, string stopFile, string pidFile, string logFile)
    {
        _guard = guard;
        _stopFile = stopFile;
        _pidFile = pidFile;
        LogFile = logFile;
    }

    public string LogFile { get; }

    public bool HasExited => _guard.HasExited;

    /// <param name="workDirectory">Holds the guard script, its stop file and the server's log.</param>
    /// <param name="name">Names the log and stop files, so restarts keep appending to one log.</param>
    /// <param name="stopSignal">What the server treats as a clean, prompt shutdown (TERM, INT).</param>
    /// <param name="runAsUser">Starts the guard (and so the server) as this user via runuser.</param>
    /// <param name="logFile">Where the server's output goes (appended); by default <c>name.log</c> in <paramref name="workDirectory"/>.</param>
    /// <param name="parentProcessId">The process whose end stops the server; by default this one.</param>
    /// <param name="workingDirectory">The server's working directory (the guard's, which it inherits); by default this process's.</param>
    public static GuardedServerProcess Start(
        string workDirectory,
        string name,
        string stopSignal,
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string> environment,
        string? runAsUser = null,
        string? logFile = null,
        int? parentProcessId = null,
        string? workingDirectory = null)
    {
        // The guard may run elsewhere (workingDirectory), so it gets every path whole.
        workDirectory = Path.GetFullPath(workDirectory);
        var script = Path.Combine(workDirectory, "guard.sh");
        if (!File.Exists(script))
        {
            using var resource = typeof(GuardedServerProcess).Assembly.GetManifestResourceStream("RewardEvents.Testing.guard.sh")
                ?? throw new InvalidOperationException("guard.sh is missing from RewardEvents.Testing's resources.");
            using var file = File.Create(script);
            resource.CopyTo(file);
        }

        var stopFile = Path.Combine(workDirectory, name + ".stop");
        var pidFile = Path.Combine(workDirectory, name + ".pid"); // guard.sh's name for it
        logFile = Path.GetFullPath(logFile ?? Path.Combine(workDirectory, name + ".log"));
        File.Delete(stopFile);
        File.Delete(pidFile);

        // The guard starts in a session of its own (setsid execs in place: a child of this process leads no process
        // group, so the pid stays the guard's). In this process's group it would get every signal sent to the group
        // (Ctrl+C in a terminal, timeout(1), a cancelled CI step) and die of it, or runuser would kill it, while the
        // server, in a session of its own, ran on for good. Out of the group, it outlives this process and stops the
        // server when it sees this process gone.
        var startInfo = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        if (runAsUser is not null)
        {
            startInfo.ArgumentList.Add("runuser");
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(runAsUser);
            startInfo.ArgumentList.Add("--");
        }

        startInfo.ArgumentList.Add("/bin/sh");

        foreach (var argument in (string[])[script, (parentProcessId ?? Environment.ProcessId).ToString(System.Globalization.CultureInfo.InvariantCulture), stopFile, stopSignal, logFile, .. command])
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var guard = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        return new GuardedServerProcess(guard, stopFile, pidFile, logFile);
    }

    /// <summary>The server's own pid (not the guard's), once the guard has started it and written it down.</summary>
    public async Task<int> ServerProcessIdAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                // The guard writes the file under another name and renames it, so a file that exists is whole.
                return int.Parse(await File.ReadAllTextAsync(_pidFile, deadline.Token), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (FileNotFoundException) when (!_guard.HasExited)
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (FileNotFoundException e)
            {
                throw new InvalidOperationException($"The guard exited without starting the server:\n{LogTail()}", e);
            }
            catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"The guard did not write {_pidFile} within {timeout}.", e);
            }
        }
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
