using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RewardEvents.Persistence;

// Used only by `dotnet ef` to build each provider's model when adding migrations; never at run time.
// The connection strings are placeholders: adding a migration does not connect.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteRewardEventsDbContext>
{
    public SqliteRewardEventsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteRewardEventsDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresRewardEventsDbContext>
{
    public PostgresRewardEventsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresRewardEventsDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}

internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerRewardEventsDbContext>
{
    public SqlServerRewardEventsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerRewardEventsDbContext>().UseSqlServer("Server=localhost;Database=design").Options);
}
