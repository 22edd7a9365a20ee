using System.Text.RegularExpressions;
using Npgsql;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// One statement's share of the database's work in a run's measured window, from PostgreSQL's own
/// <c>pg_stat_statements</c> (statements of the run's database only): how often it ran, the server's execution time
/// per delivery, rows per call, WAL records per delivery (index entries written count there), and the milliseconds per
/// delivery the server spent compiling the statement's plans with its JIT (PostgreSQL 15 and later; 0 where it has no
/// such figure), which <c>total_exec_time</c> includes.
/// </summary>
public sealed record DatabaseStatement(
    string Statement, long Calls, double MsPerDelivery, double RowsPerCall, double WalRecordsPerDelivery, double JitMsPerDelivery = 0);

/// <summary>Resets and reads <c>pg_stat_statements</c> around a run's measured window, where the server has it loaded.</summary>
public static partial class DatabaseStatements
{
    private const int Top = 8;

    /// <summary>Installs the view in the run's database; false, with the reason printed, where the server lacks the library.</summary>
    public static async Task<bool> PrepareAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connectionString, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT count(*) FROM pg_stat_statements", cancellationToken);
            return true;
        }
        catch (PostgresException e)
        {
            Console.Error.WriteLine($"  no statement statistics from this PostgreSQL: {e.MessageText}");
            return false;
        }
    }

    /// <summary>Starts the count afresh (for the whole server: runs never overlap).</summary>
    public static Task ResetAsync(string connectionString, CancellationToken cancellationToken) =>
        ExecuteAsync(connectionString, "SELECT pg_stat_statements_reset()", cancellationToken);

    /// <summary>The statements that took the most execution time since the reset, per delivery of the run.</summary>
    public static async Task<IReadOnlyList<DatabaseStatement>> ReadAsync(string connectionString, int deliveries, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT query, calls, total_exec_time, rows, wal_records,
                   -- the JIT's columns came with PostgreSQL 15: read through jsonb, they are null where they do not exist
                   COALESCE((to_jsonb(s) ->> 'jit_generation_time')::float8, 0) + COALESCE((to_jsonb(s) ->> 'jit_inlining_time')::float8, 0)
                   + COALESCE((to_jsonb(s) ->> 'jit_optimization_time')::float8, 0) + COALESCE((to_jsonb(s) ->> 'jit_emission_time')::float8, 0)
            FROM pg_stat_statements AS s
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls > 0
              AND query NOT LIKE '%pg_stat_statements%'
            ORDER BY total_exec_time DESC
            LIMIT {Top}
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var statements = new List<DatabaseStatement>();
        var per = Math.Max(deliveries, 1);
        while (await reader.ReadAsync(cancellationToken))
        {
            var calls = reader.GetInt64(1);
            statements.Add(new DatabaseStatement(
                Whitespace().Replace(reader.GetString(0), " ").Trim(),
                calls,
                reader.GetDouble(2) / per,
                (double)reader.GetInt64(3) / calls,
                Convert.ToDouble(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture) / per,
                reader.GetDouble(5) / per));
        }

        return statements;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
