using System.Globalization;
using Npgsql;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// A PostgreSQL cluster from the Debian binaries, initialised in a temp directory and run as a
/// plain process on a free port. PostgreSQL refuses to run as root, so under root every
/// PostgreSQL program runs as the postgres user (created by the Debian package) on a directory
/// that user owns.
/// </summary>
internal sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binaries;
    private readonly string _directory;
    private readonly string? _runAs;
    private readonly IReadOnlyList<string> _settings;
    private GuardedServerProcess? _process;

    private LocalPostgresCluster(string binaries, string directory, string? runAs, IReadOnlyList<string> settings)
    {
        _binaries = binaries;
        _directory = directory;
        _runAs = runAs;
        _settings = settings;
        Port = FreePort.Next();
    }

    public int Port { get; }

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = "postgres",
        IncludeErrorDetail = true,
    }.ConnectionString;

    /// <summary>The bin directory of the newest PostgreSQL installed from Debian packages, or null.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var v) ? v : -1))
            .Where(x => x.version > 0 && File.Exists(Path.Combine(x.dir, "bin", "initdb")))
            .OrderByDescending(x => x.version)
            .Select(x => Path.Combine(x.dir, "bin"))
            .FirstOrDefault();
    }

    /// <param name="settings">Server settings (<c>name=value</c>) given on the command line at every start.</param>
    public static async Task<LocalPostgresCluster> StartNewAsync(string binaries, IReadOnlyList<string> settings)
    {
        var directory = Directory.CreateTempSubdirectory("rewardevents-postgres-").FullName;
        var runAs = Environment.UserName == "root" ? ServiceUser : null;
        var cluster = new LocalPostgresCluster(binaries, directory, runAs, settings);
        try
        {
            await cluster.InitializeAsync();
            await cluster.StartAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        _process?.Dispose();
        _process = GuardedServerProcess.Start(
            _directory,
            "postgres",
            // SIGINT is PostgreSQL's "fast" shutdown: roll back open sessions, checkpoint, exit.
            "INT",
            [
                Path.Combine(_binaries, "postgres"),
                "-D", DataDirectory,
                "-p", Port.ToString(CultureInfo.InvariantCulture),
                "-k", _directory,
                "-c", "listen_addresses=127.0.0.1",
                .. _settings.SelectMany(setting => new[] { "-c", setting }),
            ],
            new Dictionary<string, string>(),
            _runAs);

        var process = _process;
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException("postgres exited during start.");
                    }

                    // Pooling off: probe connections must not linger in a pool across restarts.
                    await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                    await connection.OpenAsync();
                    return true;
                },
                StartTimeout,
                $"the local PostgreSQL to accept connections on port {Port}");
        }
        catch (TimeoutException ex)
        {
            throw new InvalidOperationException(
                $"Local PostgreSQL did not come up ({ex.Message}). Log {process.LogFile}:\n{process.LogTail()}", ex);
        }
    }

    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(StopTimeout);
            await ProcessLeftovers.WaitUntilGoneAsync(DataDirectory, StopTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Something still holds a file; the temp dir is left for the OS to clean.
        }
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    private async Task InitializeAsync()
    {
        if (_runAs is not null)
        {
            await ProcessRunner.RunCheckedAsync("chown", ["-R", $"{_runAs}:{_runAs}", _directory], TimeSpan.FromSeconds(30));
        }

        await RunAsServiceUserAsync(
            Path.Combine(_binaries, "initdb"),
            ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]);

        // 1,000 connections: every test host brings its own pools, one per test database, and a pool keeps its idle
        // connections for five minutes; with 300, a CI run once had a test's own query refused ("too many clients")
        // while the ordering, crash and benchmark tests ran side by side. fsync off only risks data on an
        // OS crash, never on a killed or restarted server, so crash tests stay honest and fast.
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), """

            max_connections = 1000
            fsync = off
            """);
    }

    private Task RunAsServiceUserAsync(string program, IReadOnlyList<string> arguments) =>
        _runAs is null
            ? ProcessRunner.RunCheckedAsync(program, arguments, TimeSpan.FromMinutes(2))
            : ProcessRunner.RunCheckedAsync("runuser", ["-u", _runAs, "--", program, .. arguments], TimeSpan.FromMinutes(2));
}
