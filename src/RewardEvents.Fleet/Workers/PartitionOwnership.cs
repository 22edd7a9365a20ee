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
/// <para>
/// Each heartbeat also checks that every held partition is really being consumed: the broker must
/// count a consumer on its queue and the bus must not report the endpoint unhealthy. After a broker
/// restart an endpoint connected at run time does not always resume (its transport can hang on the
/// acknowledgement of a message that was in flight when the connection died); a partition that stays
/// unconsumed for <see cref="StuckChecks"/> heartbeats while the broker answers is stopped (abandoned if
/// the stop hangs) and connected afresh.
/// </para>
/// </summary>
internal sealed partial class PartitionOwnership(
    IServiceScopeFactory scopes,
    IReceiveEndpointConnector connector,
    IPartitionQueueProbe probe,
    WorkerIdentity worker,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<PartitionOwnership> logger) : BackgroundService
{
    /// <summary>Heartbeats in a row a held partition may look unconsumed before it is reconnected.</summary>
    internal const int StuckChecks = 3;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<int, HostReceiveEndpointHandle> _held = [];
    private readonly Dictionary<int, int> _unconsumed = [];
    private readonly DeliveryOptions _options = options.Value;

    /// <summary>How many times a held partition was found unconsumed and reconnected (for tests and logs).</summary>
    public int Reconnections { get; private set; }

    /// <summary>The partitions this worker consumes now.</summary>
    public IReadOnlyCollection<int> Held
    {
        get
        {
            lock (_held)
            {
                return _held.Keys.Order().ToList();
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

        await WatchHeldAsync(cancellationToken);

        var summary = string.Join(',', mine.Order().Select(p => p.ToString(CultureInfo.InvariantCulture)));
        await db.Workers.Where(w => w.Id == worker.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Partitions, summary), cancellationToken);
        await db.Workers.Where(w => w.HeartbeatAt < now - (_options.WorkerTimeout * 10)).ExecuteDeleteAsync(cancellationToken);
    }

    private async Task WatchHeldAsync(CancellationToken cancellationToken)
    {
        foreach (var partition in Held)
        {
            HostReceiveEndpointHandle? handle;
            lock (_held)
            {
                _held.TryGetValue(partition, out handle);
            }

            if (handle is null)
            {
                continue;
            }

            var consumers = await probe.ConsumerCountAsync(DeliveryTopology.PartitionQueue(partition), cancellationToken);
            if (consumers is null)
            {
                continue; // the broker is away: nothing can consume now, and the bus reconnects when it is back
            }

            var unhealthy = handle.ReceiveEndpoint is MassTransit.Transports.ReceiveEndpoint endpoint
                && endpoint.HealthResult.Status == BusHealthStatus.Unhealthy;
            if (consumers > 0 && !unhealthy)
            {
                _unconsumed.Remove(partition);
                continue;
            }

            var checks = _unconsumed[partition] = _unconsumed.GetValueOrDefault(partition) + 1;
            if (checks < StuckChecks)
            {
                continue;
            }

            _unconsumed.Remove(partition);
            LogReconnecting(partition, consumers.Value, unhealthy);
            await ReleaseAsync([partition], cancellationToken);
            await AcquireAsync(partition, cancellationToken);
            Reconnections++;
        }
    }

    private async Task AcquireAsync(int partition, CancellationToken cancellationToken)
    {
        var handle = connector.ConnectReceiveEndpoint(DeliveryTopology.PartitionQueue(partition), (context, endpoint) =>
            FleetMessaging.ConfigurePartitionEndpoint(endpoint, context, _options));
        lock (_held)
        {
            _held[partition] = handle;
        }

        // Held from now on even if the broker is away: the bus connects it when it can, and the
        // heartbeat must not wait for that (others would take this worker for dead).
        try
        {
            await handle.Ready.WaitAsync(_options.HeartbeatInterval, time, cancellationToken);
            LogAcquired(partition, worker.Id);
        }
        catch (TimeoutException)
        {
            LogAcquiredNotReady(partition, worker.Id);
        }
    }

    private async Task ReleaseAsync(IReadOnlyCollection<int> partitions, CancellationToken cancellationToken)
    {
        foreach (var partition in partitions)
        {
            HostReceiveEndpointHandle? handle;
            lock (_held)
            {
                _held.Remove(partition, out handle);
            }

            _unconsumed.Remove(partition);
            if (handle is not null)
            {
                // Stopping lets in-flight deliveries finish; unacknowledged messages go back to the queue.
                // A stop that hangs on a dead connection is abandoned: the endpoint is already out of the
                // bus's collection, and the broker hands its unacknowledged messages back anyway.
                try
                {
                    await handle.StopAsync(cancellationToken).WaitAsync(StopTimeout, time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    LogStopAbandoned(partition);
                }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} looks unconsumed ({Consumers} consumers on its queue, endpoint unhealthy: {Unhealthy}); reconnecting it")]
    private partial void LogReconnecting(int partition, uint consumers, bool unhealthy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping partition {Partition}'s endpoint did not finish in time; abandoned")]
    private partial void LogStopAbandoned(int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition rebalance failed; keeping current partitions")]
    private partial void LogRebalanceFailed(Exception exception);
}
