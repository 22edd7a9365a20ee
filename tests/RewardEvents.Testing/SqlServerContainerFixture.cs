using System.Data.Common;
using RewardEvents.Testing.Internal;
using Testcontainers.MsSql;
using Xunit;

namespace RewardEvents.Testing;

/// <summary>
/// A SQL Server container for the run, where a Docker engine answers. Without one it starts
/// nothing, so registering it as an assembly fixture is harmless; tests check
/// <see cref="SqlServerAvailability.SkipReason"/> first.
/// </summary>
public sealed class SqlServerContainerFixture : IAsyncLifetime
{
    private MsSqlContainer? _container;

    public async ValueTask InitializeAsync()
    {
        if (!SqlServerAvailability.IsAvailable)
        {
            return;
        }

        _container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-latest").Build();
        await _container.StartAsync();
    }

    /// <summary>Creates an empty database and returns a SqlClient connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var container = _container ?? throw new InvalidOperationException(
            SqlServerAvailability.SkipReason ?? "SqlServerContainerFixture is not initialized.");
        var cleanPrefix = new string((prefix ?? "test").Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
        var name = $"{cleanPrefix}_{Guid.NewGuid():N}";

        // sqlcmd inside the container: no SqlClient dependency in the fixture library.
        var result = await container.ExecScriptAsync($"CREATE DATABASE [{name}];");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"CREATE DATABASE {name} failed: {result.Stderr}{result.Stdout}");
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = container.GetConnectionString() };
        builder["Database"] = name;
        return builder.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
