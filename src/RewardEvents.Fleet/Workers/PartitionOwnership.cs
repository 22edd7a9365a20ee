using System.Globalization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Spreads the partition queues over the live workers. Single active consumer alone gives failover
/// but not spreading (the first subscriber wins every queue), so each worker heartbeats into the
/// database, and worker i of n (ordered by id) consumes the partitions p with p mod n = i. When a
/// worker joins, leaves or stops heartbeating, every worker recomputes its share within a heartbeat
/// or two and connects or stops the matching receive endpoints. During a handover both may be
/// subscribed for a moment; single active consumer keeps one active, and the database's ordering
/// guard keeps order whatever the broker does.
/// The partitions are connected through the <see cref="ReceiveEndpointWatchdog"/>, which reconnects
/// one that stops consuming.
/// </summary>
internal sealed partial class PartitionOwnership(
    IServiceScopeFactory scopes,
    ReceiveEndpointWatchdog watchdog,
    WorkerIdentity worker,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<PartitionOwnership> logger) : BackgroundService
{
    private readonly HashSet<int> _held = [];
    private readonly DeliveryOptions _options = options.Value;

    /// <summary>The partitions this worker consumes now.</summary>
    public IReadOnlyCollection<int> Held
    {
        get
        {
            lock (_held)
            {
                return _held.Order().ToList();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, time);
        do
        {
            try
            {
                await RebalanceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Keep what we hold: if the database is briefly away, our heartbeat resumes before others take over.
                LogRebalanceFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ReleaseAsync(Held, cancellationToken);
        try
        {
            // Leave at once so the others take our partitions on their next heartbeat, not after a timeout.
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await db.Workers.Where(w => w.Id == worker.Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or TimeoutException)
        {
            LogRebalanceFailed(ex);
        }
    }

    private async Task RebalanceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var me = await db.Workers.FirstOrDefaultAsync(w => w.Id == worker.Id, cancellationToken);
        if (me is null)
        {
            db.Workers.Add(new WorkerInstance { Id = worker.Id, StartedAt = now, HeartbeatAt = now });
        }
        else
        {
            me.HeartbeatAt = now;
            me.Version++;
        }

        await db.SaveChangesAsync(cancellationToken);

        var liveSince = now - _options.WorkerTimeout;
        var live = await db.Workers.AsNoTracking().Where(w => w.HeartbeatAt >= liveSince)
            .OrderBy(w => w.Id).Select(w => w.Id).ToListAsync(cancellationToken);
        var index = live.IndexOf(worker.Id);
        var mine = Enumerable.Range(0, _options.Partitions).Where(p => p % live.Count == index).ToHashSet();

        var held = Held;
        await ReleaseAsync(held.Where(p => !mine.Contains(p)).ToList(), cancellationToken);
        foreach (var partition in mine.Where(p => !held.Contains(p)).Order())
        {
            await AcquireAsync(partition, cancellationToken);
        }

        var summary = string.Join(',', mine.Order().Select(p => p.ToString(CultureInfo.InvariantCulture)));
        await db.Workers.Where(w => w.Id == worker.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Partitions, summary), cancellationToken);
        await db.Workers.Where(w => w.HeartbeatAt < now - (_options.WorkerTimeout * 10)).ExecuteDeleteAsync(cancellationToken);
    }

    private async Task AcquireAsync(int partition, CancellationToken cancellationToken)
    {
        lock (_held)
        {
            _held.Add(partition);
        }

        // Held from now on even if the broker is away: the bus connects it when it can, and the
        // heartbeat must not wait for that (others would take this worker for dead).
        var ready = await watchdog.ConnectAsync(DeliveryTopology.PartitionQueue(partition), exclusive: true,
            (context, endpoint) => FleetMessaging.ConfigurePartitionEndpoint(endpoint, context, _options), _options.HeartbeatInterval, cancellationToken);
        if (ready)
        {
            LogAcquired(partition, worker.Id);
        }
        else
        {
            LogAcquiredNotReady(partition, worker.Id);
        }
    }

    private async Task ReleaseAsync(IReadOnlyCollection<int> partitions, CancellationToken cancellationToken)
    {
        foreach (var partition in partitions)
        {
            bool held;
            lock (_held)
            {
                held = _held.Remove(partition);
            }

            if (held)
            {
                // Stopping lets in-flight deliveries finish; unacknowledged messages go back to the queue.
                await watchdog.DisconnectAsync(DeliveryTopology.PartitionQueue(partition), cancellationToken);
                LogReleased(partition, worker.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} acquired by worker {WorkerId}")]
    private partial void LogAcquired(int partition, string workerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} released by worker {WorkerId}")]
    private partial void LogReleased(int partition, string workerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} taken by worker {WorkerId}; its endpoint is not ready yet (broker away?)")]
    private partial void LogAcquiredNotReady(int partition, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition rebalance failed; keeping current partitions")]
    private partial void LogRebalanceFailed(Exception exception);
}
