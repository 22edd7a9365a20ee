using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Workers;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Endpoints;

/// <summary>
/// The workers' counts of attempts per endpoint, minute and latency bucket, as endpoint stats read them: two workers
/// flushing into the same rows add up, a flush that fails loses nothing, and minutes past the longest window go.
/// On PostgreSQL and SQLite.
/// </summary>
public sealed class AttemptTallyTests(PostgresServer postgres)
{
    private static readonly DateTime Start = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>Attempts as two workers record them: (endpoint, started, duration, succeeded).</summary>
    private static readonly (string Endpoint, DateTime StartedAt, int DurationMs, bool Succeeded)[] Attempts =
    [
        .. Enumerable.Range(0, 300).Select(i => ($"ep_{i % 3}", Start.AddSeconds(i), (i * 37) % 1_200, i % 7 != 0)),
        ("ep_0", Start.AddMinutes(3).AddSeconds(59.999), 45_000, false),
        ("ep_1", Start.AddMinutes(4), 0, false),
    ];

    [Fact]
    public async Task On_PostgreSQL_two_workers_counts_add_up_and_a_failed_flush_loses_none()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "tally");
        await CountsAddUpAsync(services);

        // The table gone for a moment (a failing database): the flush fails, and the counts go with the next one.
        var tally = Tally(services);
        tally.Record("ep_9", Start, 7, succeeded: true);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE endpoint_minutes RENAME TO endpoint_minutes_away", cancellationToken);
            await Assert.ThrowsAnyAsync<Exception>(() => tally.FlushAsync(cancellationToken));
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE endpoint_minutes_away RENAME TO endpoint_minutes", cancellationToken);
        }

        tally.Record("ep_9", Start.AddSeconds(1), 900, succeeded: false);
        await tally.FlushAsync(cancellationToken);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var rows = await db.EndpointMinutes.AsNoTracking().Where(m => m.EndpointId == "ep_9").OrderBy(m => m.Bucket).ToListAsync(cancellationToken);
            Assert.Equal([(LatencyBuckets.Of(7), 1, 1, 7), (LatencyBuckets.Of(900), 1, 0, 900)], rows.Select(r => (r.Bucket, r.Attempts, r.Succeeded, r.MaxDurationMs)));
        }

        await PrunesOldMinutesAsync(services);
    }

    [Fact]
    public Task On_SQLite_two_workers_counts_add_up() =>
        SqliteFileDatabase.UseServicesAsync("tally", async services =>
        {
            await CountsAddUpAsync(services);
            await PrunesOldMinutesAsync(services);
        });

    /// <summary>
    /// At stop the tally adds its last counts; a stop that has run out of time loses them with a warning but does not fail
    /// the host's stop (which would fail every service stopping after it).
    /// </summary>
    [Fact]
    public Task At_stop_the_last_counts_go_in_and_a_stop_out_of_time_loses_them_without_failing() =>
        SqliteFileDatabase.UseServicesAsync("tallystop", async services =>
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            var log = new CapturingLoggerProvider(typeof(AttemptTally).FullName!);
            using var loggers = LoggerFactory.Create(logging => logging.AddProvider(log));
            var tally = Tally(services, loggers.CreateLogger<AttemptTally>());
            await tally.StartAsync(cancellationToken);
            tally.Record("ep_late", Start, 12, succeeded: true);
            using var outOfTime = new CancellationTokenSource();
            await outOfTime.CancelAsync();
            await tally.StopAsync(outOfTime.Token);
            Assert.Single(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("at stop", StringComparison.Ordinal));

            var inTime = Tally(services);
            await inTime.StartAsync(cancellationToken);
            inTime.Record("ep_late", Start, 40, succeeded: false);
            await inTime.StopAsync(cancellationToken);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var row = Assert.Single(await db.EndpointMinutes.AsNoTracking().ToListAsync(cancellationToken));
            Assert.Equal(("ep_late", 1, 0, 40), (row.EndpointId, row.Attempts, row.Succeeded, row.MaxDurationMs));
        });

    /// <summary>
    /// Two tallies (two workers) take the attempts in turn and flush twice, the second time into rows the first made;
    /// the table then holds, per endpoint, minute and bucket, what the attempts add up to.
    /// </summary>
    private static async Task CountsAddUpAsync(ServiceProvider services)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        AttemptTally[] workers = [Tally(services), Tally(services)];
        for (var i = 0; i < Attempts.Length; i++)
        {
            var (endpoint, startedAt, duration, succeeded) = Attempts[i];
            workers[i % 2].Record(endpoint, startedAt, duration, succeeded);
            if (i == Attempts.Length / 2)
            {
                await Task.WhenAll(workers.Select(w => w.FlushAsync(cancellationToken)));
            }
        }

        await Task.WhenAll(workers.Select(w => w.FlushAsync(cancellationToken)));
        // Nothing left to add: a flush with no counts writes nothing.
        await Task.WhenAll(workers.Select(w => w.FlushAsync(cancellationToken)));

        var expected = Attempts
            .GroupBy(a => (a.Endpoint, Minute: Start.AddMinutes(Math.Floor((a.StartedAt - Start).TotalMinutes)), Bucket: LatencyBuckets.Of(a.DurationMs)))
            .Select(g => (g.Key.Endpoint, g.Key.Minute, g.Key.Bucket, Attempts: g.Count(), Succeeded: g.Count(a => a.Succeeded), Max: g.Max(a => a.DurationMs)))
            .OrderBy(r => r.Endpoint, StringComparer.Ordinal).ThenBy(r => r.Minute).ThenBy(r => r.Bucket)
            .ToList();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var rows = (await db.EndpointMinutes.AsNoTracking().ToListAsync(cancellationToken))
            .Select(m => (m.EndpointId, m.Minute, m.Bucket, m.Attempts, m.Succeeded, m.MaxDurationMs))
            .OrderBy(r => r.EndpointId, StringComparer.Ordinal).ThenBy(r => r.Minute).ThenBy(r => r.Bucket)
            .ToList();
        Assert.Equal(expected, rows);
        Assert.Equal(Attempts.Length, rows.Sum(r => r.Attempts));
    }

    private static async Task PrunesOldMinutesAsync(ServiceProvider services)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var before = await db.EndpointMinutes.CountAsync(cancellationToken);
        var lastMinute = await db.EndpointMinutes.MaxAsync(m => m.Minute, cancellationToken);

        // Eight days after the last minute but one: only the last minute's rows stay.
        var deleted = await AttemptTally.PruneAsync(db, lastMinute + AttemptTally.Kept, cancellationToken);
        var left = await db.EndpointMinutes.AsNoTracking().ToListAsync(cancellationToken);
        Assert.NotEmpty(left);
        Assert.All(left, m => Assert.Equal(lastMinute, m.Minute));
        Assert.Equal(before, deleted + left.Count);
    }

    private static AttemptTally Tally(ServiceProvider services, ILogger<AttemptTally>? logger = null) => new(
        services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new DeliveryOptions()), TimeProvider.System, logger ?? NullLogger<AttemptTally>.Instance);
}
