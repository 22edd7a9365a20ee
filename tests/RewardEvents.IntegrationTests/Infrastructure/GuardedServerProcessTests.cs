using System.Diagnostics;
using System.Globalization;
using RewardEvents.Testing;
using RewardEvents.Testing.Internal;

namespace RewardEvents.IntegrationTests.Infrastructure;

/// <summary>
/// The guard that keeps a test server from outliving the tests. RabbitMQ's start script can exit on SIGTERM while
/// the Erlang VM it started is still shutting down; a benchmark stopped that way once left a broker running for
/// half an hour, with its directory deleted under it. Here the "server" is a script that does the same: it exits on
/// SIGTERM and leaves a child in its process group that ignores SIGTERM.
/// </summary>
public sealed class GuardedServerProcessTests
{
    [Fact]
    public async Task What_the_server_leaves_in_its_group_is_killed_before_the_guard_exits()
    {
        var directory = Directory.CreateTempSubdirectory("rewardevents-guard-").FullName;
        try
        {
            var childPidFile = Path.Combine(directory, "child.pid");
            var server = $"""
                sh -c 'trap "" TERM; while :; do sleep 0.2; done' &
                echo $! > "{childPidFile}"
                trap 'exit 0' TERM
                while :; do sleep 0.2; done
                """;
            using var guard = GuardedServerProcess.Start(directory, "stubborn", "TERM", ["/bin/sh", "-c", server], new Dictionary<string, string>());
            var childPid = await Eventually.UntilValueAsync(
                () => Task.FromResult(File.Exists(childPidFile) && int.TryParse(File.ReadAllText(childPidFile).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : (int?)null),
                TimeSpan.FromSeconds(10), "the server writes its child's pid", TestContext.Current.CancellationToken);
            Assert.True(Directory.Exists($"/proc/{childPid}"), "the server's child should be running before the stop");

            await guard.StopAsync(TimeSpan.FromSeconds(60));

            Assert.True(guard.HasExited);
            // A zombie has no command line; a live process keeps its own.
            Assert.False(IsAlive(childPid), $"the child {childPid} that ignores SIGTERM outlived its guard:\n{guard.LogTail()}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Out_of_the_parents_process_group_the_guard_stops_the_server_and_removes_its_directory_when_the_parent_is_killed()
    {
        var directory = Directory.CreateTempSubdirectory("rewardevents-guard-").FullName;
        // The parent stands in for a test run or a benchmark that is SIGKILLed and never stops its servers.
        using var parent = Process.Start("sleep", "600") ?? throw new InvalidOperationException("sleep did not start");
        try
        {
            var ownPidFile = Path.Combine(directory, "own.pid");
            using var guard = GuardedServerProcess.Start(directory, "orphan", "TERM",
                ["/bin/sh", "-c", $"echo $$ > \"{ownPidFile}\"; trap 'exit 0' TERM; while :; do sleep 0.2; done"],
                new Dictionary<string, string>(), parentProcessId: parent.Id);
            var serverPid = await guard.ServerProcessIdAsync(TimeSpan.FromSeconds(10));
            var ownPid = await Eventually.UntilValueAsync(
                () => Task.FromResult(File.Exists(ownPidFile) && int.TryParse(File.ReadAllText(ownPidFile).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : (int?)null),
                TimeSpan.FromSeconds(10), "the server writes its pid", TestContext.Current.CancellationToken);
            Assert.Equal(ownPid, serverPid);
            Assert.True(IsAlive(serverPid), "the server should run while its parent does");
            // Ctrl+C in a terminal, timeout(1) or a cancelled CI step signal the test process's whole group. The
            // guard must not be in it, or it dies with the test process and leaves the server running for good.
            var (guardPid, _, _) = Stat(serverPid);
            var (_, guardGroup, guardSession) = Stat(guardPid);
            var (_, ownGroup, ownSession) = Stat(Environment.ProcessId);
            Assert.NotEqual(ownGroup, guardGroup);
            Assert.NotEqual(ownSession, guardSession);

            parent.Kill();
            await parent.WaitForExitAsync(TestContext.Current.CancellationToken);

            await Eventually.UntilAsync(() => Task.FromResult(!IsAlive(serverPid) && guard.HasExited), TimeSpan.FromSeconds(20),
                "the guard stops the server once its parent is gone", TestContext.Current.CancellationToken);
            await Eventually.UntilAsync(() => Task.FromResult(!Directory.Exists(directory)), TimeSpan.FromSeconds(10),
                "the guard removes the server's directory, which nobody else will", TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!parent.HasExited)
            {
                parent.Kill();
            }

            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The parent, process group and session of a process, from /proc/PID/stat.</summary>
    private static (int Parent, int Group, int Session) Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // "pid (comm) state ppid pgrp session ...": comm may hold spaces, so split after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Length > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
