using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// <see cref="PostgresStatement"/>, the fleet's hot-path statements built once and run through EF Core's command
/// pipeline, on real PostgreSQL: positional placeholders, the context's connection and transaction, the interceptors
/// (which record it, and retire a connection it failed on), and prepared on the server like EF Core's own.
/// </summary>
public sealed class PostgresStatementTests(PostgresServer postgres)
{
    private static readonly PostgresStatement TakeCounter = new("""
        INSERT INTO user_sequences ("UserId", "LastSequence", "Version") VALUES (@user_id, @last_sequence, 1)
        RETURNING "UserId", "LastSequence"
        """);

    [Fact]
    public void Named_placeholders_become_positions_in_the_order_they_first_appear()
    {
        var statement = new PostgresStatement("SELECT @b::int + @a_1::int * @b::int, '@'::text, '{1}'::int[] @> '{1}', @c");

        Assert.Equal("SELECT $1::int + $2::int * $1::int, '@'::text, '{1}'::int[] @> '{1}', $3", statement.CommandText);
        Assert.Equal(["b", "a_1", "c"], statement.ParameterNames);
        Assert.StartsWith("SELECT @b::int", statement.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_runs_on_the_contexts_connection_inside_its_transaction_and_the_interceptors_see_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var commands = new CommandRecorder();
        await using var db = FleetDatabase.OpenPostgres(await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "statement"), commands);

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var rows = await TakeCounter.QueryAsync(db, Parameters("u_rolled_back", 7), r => (r.GetString(0), r.GetInt64(1)), ct);
            Assert.Equal([("u_rolled_back", 7L)], rows);
            Assert.True(await db.UserSequences.AnyAsync(u => u.UserId == "u_rolled_back", ct)); // visible inside
            await transaction.RollbackAsync(ct);
        }

        Assert.False(await db.UserSequences.AnyAsync(u => u.UserId == "u_rolled_back", ct));
        Assert.Equal(TakeCounter.CommandText, commands.Texts[0]);
        Assert.Contains("($1, $2, 1)", commands.Texts[0], StringComparison.Ordinal);

        var rows2 = await TakeCounter.QueryAsync(db, Parameters("u_kept", 3), r => r.GetInt64(1), ct);
        Assert.Equal([3L], rows2);
        Assert.Equal(3, await db.UserSequences.Where(u => u.UserId == "u_kept").Select(u => u.LastSequence).SingleAsync(ct));
    }

    /// <summary>One statement object serves every context at once: each run reads its own rows, and all of them.</summary>
    [Fact]
    public async Task Concurrent_runs_on_different_contexts_each_read_their_own_rows()
    {
        var ct = TestContext.Current.CancellationToken;
        var series = new PostgresStatement("SELECT @tag::text, g FROM generate_series(1, @count) AS g ORDER BY g");
        var connectionString = await postgres.CreateDatabaseAsync("statementconc");

        var runs = await Task.WhenAll(Enumerable.Range(1, 16).Select(async i =>
        {
            await using var db = FleetDatabase.OpenPostgres(connectionString);
            await db.Database.OpenConnectionAsync(ct);
            var mismatches = 0;
            for (var run = 0; run < 25; run++)
            {
                var rows = await series.QueryAsync(
                    db, [new("tag", NpgsqlDbType.Text) { Value = $"t{i}" }, new("count", NpgsqlDbType.Integer) { Value = 100 + i }],
                    r => (Tag: r.GetString(0), N: r.GetInt32(1)), ct);
                if (rows.Count != 100 + i || rows.Any(r => r.Tag != $"t{i}") || !rows.Select(r => r.N).SequenceEqual(Enumerable.Range(1, 100 + i)))
                {
                    mismatches++;
                }
            }

            return mismatches;
        }));

        Assert.All(runs, mismatches => Assert.Equal(0, mismatches));
    }

    [Fact]
    public async Task Parameters_that_do_not_match_the_placeholders_are_refused_before_anything_is_sent()
    {
        var ct = TestContext.Current.CancellationToken;
        var commands = new CommandRecorder();
        await using var db = FleetDatabase.OpenPostgres(await postgres.CreateDatabaseAsync("statementargs"), commands);

        NpgsqlParameter[] swapped = [.. Enumerable.Reverse(Parameters("u_x", 1))];
        var wrongOrder = await Assert.ThrowsAsync<ArgumentException>(() => TakeCounter.QueryAsync(db, swapped, r => 0, ct));
        Assert.Contains("'last_sequence'", wrongOrder.Message, StringComparison.Ordinal);
        Assert.Contains("'user_id'", wrongOrder.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => TakeCounter.QueryAsync(db, Parameters("u_x", 1)[..1], r => 0, ct));
        Assert.Empty(commands.Texts);
    }

    [Fact]
    public async Task A_connection_it_failed_on_is_retired_and_it_is_prepared_on_the_server()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(
            postgres, "statementfail", ";Maximum Pool Size=1;Auto Prepare Min Usages=1");
        var backend = await PreparedStatementTests.BackendAsync(services);

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await TakeCounter.QueryAsync(db, Parameters("u_once", 1), r => 0, ct);
            var duplicate = await Assert.ThrowsAsync<PostgresException>(() => TakeCounter.QueryAsync(db, Parameters("u_once", 2), r => 0, ct));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        }

        var next = await PreparedStatementTests.BackendAsync(services);
        Assert.NotEqual(backend, next);

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await TakeCounter.QueryAsync(db, Parameters("u_twice", 1), r => 0, ct);
        }

        Assert.Equal(next, await PreparedStatementTests.BackendAsync(services)); // kept: nothing failed on it
        Assert.Contains(TakeCounter.CommandText, await PreparedStatementTests.PreparedStatementsAsync(services));
    }

    private static NpgsqlParameter[] Parameters(string userId, long lastSequence) =>
    [
        new("user_id", NpgsqlDbType.Text) { Value = userId },
        new("last_sequence", NpgsqlDbType.Bigint) { Value = lastSequence },
    ];
}
