using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.UnitTests.Sagas;

/// <summary>
/// A real MassTransit bus (in-memory transport) with the ticket saga stored by our repository in a
/// temporary SQLite file, so concurrent scopes use separate connections as in production.
/// </summary>
public sealed class TicketSagaHost : IAsyncDisposable
{
    readonly IHost _host;

    TicketSagaHost(IHost host, string databasePath)
    {
        _host = host;
        DatabasePath = databasePath;
    }

    public string DatabasePath { get; }
    public MessageLog Log => _host.Services.GetRequiredService<MessageLog>();
    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public static DbContextOptions<TicketDbContext> OptionsFor(string databasePath) =>
        new DbContextOptionsBuilder<TicketDbContext>().UseSqlite($"Data Source={databasePath}").Options;

    public static async Task<TicketSagaHost> Start(CancellationToken cancellationToken)
    {
        var databasePath = Path.Combine(Path.GetTempPath(), $"saga-{Guid.NewGuid():N}.db");
        await using (var db = new TicketDbContext(OptionsFor(databasePath)))
            await db.Database.EnsureCreatedAsync(cancellationToken);

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddDbContext<TicketDbContext>(o => o.UseSqlite($"Data Source={databasePath}"));
        builder.Services.AddSingleton<TicketTestHooks>();
        builder.Services.AddSingleton<MessageLog>();
        builder.Services.AddMassTransit(x =>
        {
            x.AddSagaStateMachine<TicketStateMachine, TicketState>()
                .EntityFrameworkRepository<TicketState, TicketDbContext>()
                .Endpoint(e => e.ConcurrentMessageLimit = 4);

            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseMessageRetry(r =>
                {
                    r.Handle<DbUpdateException>();
                    r.Immediate(5);
                    r.ConnectRetryObserver(context.GetRequiredService<MessageLog>());
                });
                cfg.ConnectReceiveObserver(context.GetRequiredService<MessageLog>());
                cfg.ConfigureEndpoints(context);
            });
        });

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new TicketSagaHost(host, databasePath);
    }

    /// <summary>Reads the database through a fresh DbContext, never the bus's.</summary>
    public async Task<T> Read<T>(Func<TicketDbContext, Task<T>> query)
    {
        await using var db = new TicketDbContext(OptionsFor(DatabasePath));
        return await query(db);
    }

    public Task<TicketState?> Ticket(Guid id) =>
        Read(db => db.Tickets.AsNoTracking().SingleOrDefaultAsync(x => x.CorrelationId == id));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);
    }
}
