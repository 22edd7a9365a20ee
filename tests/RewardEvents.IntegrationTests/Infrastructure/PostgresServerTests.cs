using Npgsql;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Infrastructure;

public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task A_row_written_to_a_fresh_database_reads_back()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var connectionString = await server.CreateDatabaseAsync("infra_rw");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await using (var create = dataSource.CreateCommand("CREATE TABLE reward (id uuid PRIMARY KEY, points int NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(cancellation);
        }

        var id = Guid.NewGuid();
        await using (var insert = dataSource.CreateCommand("INSERT INTO reward (id, points) VALUES ($1, $2)"))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(250);
            await insert.ExecuteNonQueryAsync(cancellation);
        }

        await using var select = dataSource.CreateCommand("SELECT points FROM reward WHERE id = $1");
        select.Parameters.AddWithValue(id);
        Assert.Equal(250, await select.ExecuteScalarAsync(cancellation));
    }

    [Fact]
    public async Task Two_databases_do_not_see_each_others_tables()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var first = await server.CreateDatabaseAsync("infra_iso");
        var second = await server.CreateDatabaseAsync("infra_iso");
        Assert.NotEqual(first, second);

        await using (var firstSource = NpgsqlDataSource.Create(first))
        await using (var create = firstSource.CreateCommand("CREATE TABLE only_in_first (id int)"))
        {
            await create.ExecuteNonQueryAsync(cancellation);
        }

        await using var secondSource = NpgsqlDataSource.Create(second);
        await using var lookup = secondSource.CreateCommand("SELECT to_regclass('only_in_first') IS NULL");
        Assert.Equal(true, await lookup.ExecuteScalarAsync(cancellation));
    }
}
