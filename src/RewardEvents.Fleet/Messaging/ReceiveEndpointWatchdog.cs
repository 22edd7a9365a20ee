using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// Receive endpoints connected at run time, watched and reconnected when they stop consuming.
/// <para>
/// After a broker restart an endpoint does not always resume: its transport can hang on a message
/// that was in flight when the connection died (seen on MassTransit 8.5 with RabbitMQ 3.10, for the
/// router's queue and for partition queues alike), and nothing else would ever restart it. Each check
/// asks the broker about the endpoint's queue and, while the broker answers, counts the endpoint as
/// stuck when the bus reports it unhealthy, when an exclusive queue (a partition this worker holds)
/// has no consumer at all, or when messages wait in the queue and the endpoint has finished none for
/// <see cref="DeliveryOptions.StalledEndpointTimeout"/>. After <see cref="StuckChecks"/> such checks in
/// a row it is stopped (abandoned if the stop hangs: it is already out of the bus's collection, and the
/// broker hands its unacknowledged messages back) and connected afresh.
/// </para>
/// <para>
/// One check loop per process, whoever connected the endpoints (the router, the partition owner, or
/// both in one host); connecting, disconnecting and reconnecting take turns, so a partition released
/// by its owner is never brought back by a reconnect that was under way.
/// </para>
/// </summary>
internal sealed partial class ReceiveEndpointWatchdog(
    IReceiveEndpointConnector connector,
    IQueueProbe probe,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<ReceiveEndpointWatchdog> logger) : BackgroundService
{
    /// <summary>Checks in a row an endpoint may look stuck before it is reconnected.</summary>
    internal const int StuckChecks = 3;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, Watched> _endpoints = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>How many endpoints were found stuck and reconnected since start.</summary>
    public int Reconnections { get; private set; }

    /// <summary>Connects <paramref name="queue"/>'s endpoint and watches it; waits at most <paramref name="readyWait"/> for it to be ready.</summary>
    /// <returns>Whether the endpoint was ready in that time (if not, the bus keeps connecting it).</returns>
    public async Task<bool> ConnectAsync(
        string queue, bool exclusive, Action<IBusRegistrationContext, IReceiveEndpointConfigurator> configure, TimeSpan readyWait,
        CancellationToken cancellationToken)
    {
        HostReceiveEndpointHandle handle;
        await _turn.WaitAsync(cancellationToken);
        try
        {
            handle = Connect(queue, exclusive, configure);
        }
        finally
        {
            _turn.Release();
        }

        try
        {
            await handle.Ready.WaitAsync(readyWait, time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Stops watching and stops the endpoint, letting in-flight messages finish (within a bound).</summary>
    public async Task DisconnectAsync(string queue, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await DisconnectAsync(queue, expected: null, cancellationToken);
        }
        finally
        {
            _turn.Release();
        }
    }

    public override void Dispose()
    {
        _turn.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(ex);
            }
        }
    }

    private HostReceiveEndpointHandle Connect(string queue, bool exclusive, Action<IBusRegistrationContext, IReceiveEndpointConfigurator> configure)
    {
        var progress = new Progress();
        var handle = connector.ConnectReceiveEndpoint(queue, configure);
        handle.ReceiveEndpoint.ConnectReceiveObserver(progress);
        lock (_endpoints)
        {
            _endpoints[queue] = new Watched(handle, exclusive, configure, progress) { LastProgressAt = time.GetUtcNow() };
        }

        return handle;
    }

    /// <summary>Removes the queue's endpoint (only if it is still <paramref name="expected"/>, when given) and stops it.</summary>
    /// <returns>Whether an endpoint was removed.</returns>
    private async Task<bool> DisconnectAsync(string queue, Watched? expected, CancellationToken cancellationToken)
    {
        Watched? watched;
        lock (_endpoints)
        {
            if (!_endpoints.TryGetValue(queue, out watched) || (expected is not null && !ReferenceEquals(watched, expected)))
            {
                return false;
            }

            _endpoints.Remove(queue);
        }

        try
        {
            await watched.Handle.StopAsync(cancellationToken).WaitAsync(StopTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogStopAbandoned(queue);
        }

        return true;
    }

    /// <summary>Checks every watched endpoint once; reconnects those stuck for <see cref="StuckChecks"/> checks.</summary>
    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, Watched>> endpoints;
        lock (_endpoints)
        {
            endpoints = [.. _endpoints];
        }

        var stallTimeout = options.Value.StalledEndpointTimeout;
        foreach (var (queue, watched) in endpoints)
        {
            var state = await probe.GetAsync(queue, cancellationToken);
            if (state is not { } queueState)
            {
                continue; // the broker is away: nothing can consume now, and the bus reconnects when it is back
            }

            var now = time.GetUtcNow();
            var finished = watched.Progress.Finished;
            if (finished != watched.LastFinished || queueState.Ready == 0)
            {
                watched.LastFinished = finished;
                watched.LastProgressAt = now;
            }

            var unhealthy = watched.Handle.ReceiveEndpoint is MassTransit.Transports.ReceiveEndpoint endpoint
                && endpoint.HealthResult.Status == BusHealthStatus.Unhealthy;
            var unconsumed = watched.Exclusive && queueState.Consumers == 0;
            var stalled = now - watched.LastProgressAt >= stallTimeout;
            if (!unhealthy && !unconsumed && !stalled)
            {
                watched.StuckChecks = 0;
                continue;
            }

            if (++watched.StuckChecks < StuckChecks)
            {
                continue;
            }

            await _turn.WaitAsync(cancellationToken);
            try
            {
                // Unless its owner let it go meanwhile: then it stays released.
                if (await DisconnectAsync(queue, watched, cancellationToken))
                {
                    LogReconnecting(queue, queueState.Consumers, queueState.Ready, unhealthy, (now - watched.LastProgressAt).TotalSeconds);
                    Connect(queue, watched.Exclusive, watched.Configure);
                    Reconnections++;
                }
            }
            finally
            {
                _turn.Release();
            }
        }
    }

    private sealed class Watched(
        HostReceiveEndpointHandle handle, bool exclusive, Action<IBusRegistrationContext, IReceiveEndpointConfigurator> configure, Progress progress)
    {
        public HostReceiveEndpointHandle Handle { get; } = handle;

        public bool Exclusive { get; } = exclusive;

        public Action<IBusRegistrationContext, IReceiveEndpointConfigurator> Configure { get; } = configure;

        public Progress Progress { get; } = progress;

        public long LastFinished { get; set; }

        public DateTimeOffset LastProgressAt { get; set; }

        public int StuckChecks { get; set; }
    }

    /// <summary>Counts the messages the endpoint finished with, whatever the outcome.</summary>
    private sealed class Progress : IReceiveObserver
    {
        private long _finished;

        public long Finished => Interlocked.Read(ref _finished);

        public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

        public Task PostReceive(ReceiveContext context)
        {
            Interlocked.Increment(ref _finished);
            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
            where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
            where T : class => Task.CompletedTask;

        public Task ReceiveFault(ReceiveContext context, Exception exception)
        {
            Interlocked.Increment(ref _finished);
            return Task.CompletedTask;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Endpoint {Queue} looks stuck ({Consumers} consumers, {Ready} messages waiting, unhealthy: {Unhealthy}, no progress for {Seconds:F0} s); reconnecting it")]
    private partial void LogReconnecting(string queue, uint consumers, uint ready, bool unhealthy, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the watched receive endpoints failed")]
    private partial void LogCheckFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping endpoint {Queue} did not finish in time; abandoned")]
    private partial void LogStopAbandoned(string queue);
}
