using System.Collections.Concurrent;
using Npgsql;
using RewardEvents.Testing.Internal;
using Testcontainers.PostgreSql;
using Xunit;

namespace RewardEvents.Testing;

/// <summary>
/// A real PostgreSQL server shared by a whole test run
/// (<c>[assembly: AssemblyFixture(typeof(PostgresServer))]</c>). Tests isolate themselves with
/// <see cref="CreateDatabaseAsync"/>.
/// </summary>
/// <remarks>
/// Where the server comes from, first match wins:
/// <list type="number">
/// <item><c>REWARDEVENTS_TEST_POSTGRES</c>: an Npgsql connection string whose user may CREATE DATABASE.
/// Databases created there are dropped again at the end.</item>
/// <item>A Docker engine answers: a Testcontainers PostgreSQL 15.</item>
/// <item>Debian's PostgreSQL binaries are installed: a cluster initialised in a temp dir on a free port.</item>
/// </list>
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string ConnectionStringVariable = "REWARDEVENTS_TEST_POSTGRES";

    private readonly ConcurrentBag<string> _databases = [];
    private LocalPostgresCluster? _local;
    private PostgreSqlContainer? _container;
    private string? _adminConnectionString;
    private bool _shared;

    /// <summary>Where the server came from: "environment", "container" or "local process".</summary>
    public string Origin { get; private set; } = "";

    /// <summary>
    /// Load <c>pg_stat_statements</c> in a server this fixture starts (a local process or a container), so a caller
    /// can read which statements took the database's time (the benchmark does). Off for the tests.
    /// </summary>
    public bool TrackStatements { get; init; }

    /// <summary>Only a cluster this fixture started as a local process can be restarted.</summary>
    public bool CanRestart => _local is not null;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _shared = true;
            _adminConnectionString = configured;
            Origin = "environment";
        }
        else if (DockerEngine.IsAvailable)
        {
            // max_connections as LocalPostgresCluster's, which says why
            _container = new PostgreSqlBuilder("postgres:15")
                .WithCommand(["-c", "max_connections=1000", .. ServerSettings().SelectMany(setting => new[] { "-c", setting })])
                .Build();
            await _container.StartAsync();
            _adminConnectionString = _container.GetConnectionString();
            Origin = "container";
        }
        else if (LocalPostgresCluster.FindBinaries() is { } binaries)
        {
            _local = await LocalPostgresCluster.StartNewAsync(binaries, ServerSettings());
            _adminConnectionString = _local.AdminConnectionString;
            Origin = "local process";
        }
        else
        {
            throw new InvalidOperationException(
                "The integration tests need a PostgreSQL and none is available. Any one of these works: "
                + "(1) install the Debian package: `sudo apt-get install -y postgresql` (the tests start their own cluster "
                + "from /usr/lib/postgresql/<version>/bin; the system service is not needed; `./build.sh test` installs it for you); "
                + "(2) run a Docker engine (Testcontainers starts postgres:15); "
                + $"(3) set {ConnectionStringVariable} to an Npgsql connection string whose user may CREATE DATABASE.");
        }
    }

    private string[] ServerSettings() => TrackStatements ? ["shared_preload_libraries=pg_stat_statements"] : [];

    /// <summary>Creates an empty database and returns an Npgsql connection string to it.</summary>
    /// <param name="prefix">Start of the database name (letters, digits and underscores are kept).</param>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var admin = _adminConnectionString ?? throw new InvalidOperationException("PostgresServer is not initialized.");
        var cleanPrefix = new string((prefix ?? "test").ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
        // 63 bytes is PostgreSQL's identifier limit; the GUID part keeps names unique.
        var name = $"{cleanPrefix[..Math.Min(cleanPrefix.Length, 30)]}_{Guid.NewGuid():N}";

        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, IncludeErrorDetail = true }.ConnectionString;
    }

    /// <summary>
    /// Turns <c>fsync</c> back on in a cluster this fixture started (the tests run it off, see
    /// <c>LocalPostgresCluster</c>), so commits reach the disk as on a production server; the benchmark measures
    /// with it on. A server from the environment or a container is left as it is (a container's is on already).
    /// </summary>
    public async Task MakeDurableAsync()
    {
        if (_local is null)
        {
            return;
        }

        var admin = _adminConnectionString ?? throw new InvalidOperationException("PostgresServer is not initialized.");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var alter = new NpgsqlCommand("ALTER SYSTEM SET fsync = on", connection);
            await alter.ExecuteNonQueryAsync();
            await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
            await reload.ExecuteScalarAsync();
        }

        // The reload is signalled, not awaited: a new session sees the setting once the server has read it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await SettingsAsync("fsync"))["fsync"] != "on")
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException("PostgreSQL did not take fsync = on within 10 s of the reload.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The server's current value of each named setting (as <c>SHOW</c> prints it).</summary>
    public async Task<IReadOnlyDictionary<string, string>> SettingsAsync(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var admin = _adminConnectionString ?? throw new InvalidOperationException("PostgresServer is not initialized.");
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT name, setting FROM pg_settings WHERE name = ANY(@names)", connection);
        command.Parameters.AddWithValue("names", names);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            settings[reader.GetString(0)] = reader.GetString(1);
        }

        return settings;
    }

    /// <summary>
    /// Restarts the server ("fast": open sessions are rolled back) on the same port and data
    /// directory; committed data survives. Pools are cleared so callers reconnect at once.
    /// </summary>
    public async Task RestartAsync()
    {
        var local = LocalCluster();
        await local.StopAsync();
        NpgsqlConnection.ClearAllPools();
        await local.StartAsync();
    }

    /// <summary>Stops the server; <see cref="StartAsync"/> brings it back with its data.</summary>
    public Task StopAsync() => LocalCluster().StopAsync();

    /// <summary>Starts the stopped server again on the same port and data directory.</summary>
    public async Task StartAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await LocalCluster().StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Pooled idle connections would otherwise hold the server (or our databases) open.
        NpgsqlConnection.ClearAllPools();
        if (_shared && _adminConnectionString is not null)
        {
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            foreach (var name in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }

        if (_local is not null)
        {
            await _local.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private LocalPostgresCluster LocalCluster() =>
        _local ?? throw new NotSupportedException(
            $"Only a PostgreSQL cluster started by the fixture as a local process can be stopped or restarted; this one came from: {Origin}. "
            + "Check CanRestart and skip the test otherwise.");
}
