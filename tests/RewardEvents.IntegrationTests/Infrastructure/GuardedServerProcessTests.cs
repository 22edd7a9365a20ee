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
