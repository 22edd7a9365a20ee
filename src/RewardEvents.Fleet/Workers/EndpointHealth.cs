using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// The circuit breaker and automatic disabling of failing endpoints. State lives on the endpoint
/// row, shared by every worker; changes are conditional updates, so concurrent workers agree.
/// </summary>
internal sealed class EndpointHealth(LazyDbContext lazyDb, IOptions<DeliveryOptions> options)
{
    private readonly DeliveryOptions _options = options.Value;

    private RewardEventsDbContext Db => lazyDb.Context;

    /// <summary>
    /// Whether the caller may send now: the circuit is closed, or it is half-open (the current step
    /// has passed) and this caller won the step's one probe, which also schedules the next step.
    /// </summary>
    public async Task<bool> TryTakeProbeAsync(WebhookEndpoint endpoint, DateTime now, CancellationToken cancellationToken)
    {
        var openUntil = endpoint.CircuitOpenUntil;
        if (openUntil is null)
        {
            return true;
        }

        if (openUntil > now)
        {
            return false;
        }

        var nextProbeAt = now + ProbeSpacing(endpoint);
        var won = await Db.Endpoints.Where(e => e.Id == endpoint.Id && e.CircuitOpenUntil == openUntil)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.CircuitOpenUntil, nextProbeAt), cancellationToken);
        return won == 1;
    }

    public async Task RecordSuccessAsync(WebhookEndpoint endpoint, DateTime now, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        if (endpoint.ConsecutiveFailures == 0 && endpoint.CircuitOpenUntil is null)
        {
            return;
        }

        var closed = await Db.Endpoints.Where(e => e.Id == endpoint.Id && (e.ConsecutiveFailures > 0 || e.CircuitOpenUntil != null))
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.ConsecutiveFailures, 0)
                .SetProperty(e => e.FailingSince, (DateTime?)null)
                .SetProperty(e => e.CircuitOpenUntil, (DateTime?)null), cancellationToken);
        if (closed == 1 && endpoint.CircuitOpenUntil is not null)
        {
            // The probe got through: let the backlog that waited behind the open circuit drain now.
            await Db.Deliveries.Where(d => d.EndpointId == endpoint.Id && d.Status == DeliveryStatus.Retrying && d.NextAttemptAt > now)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now), cancellationToken);
            await OperationalEvents.PublishAsync(publisher, Routing.EventTypes.EndpointRecovered, endpoint.Id, null, cancellationToken);
        }
    }

    public async Task RecordFailureAsync(
        WebhookEndpoint endpoint, AttemptResult result, DateTime now, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        await Db.Endpoints.Where(e => e.Id == endpoint.Id)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.ConsecutiveFailures, e => e.ConsecutiveFailures + 1)
                .SetProperty(e => e.FailingSince, e => e.FailingSince ?? now), cancellationToken);
        var current = await Db.Endpoints.AsNoTracking().FirstAsync(e => e.Id == endpoint.Id, cancellationToken);

        string? disableReason = result.EndpointGone ? "the receiver answered 410 Gone"
            : current.FailingSince <= now - _options.DisableAfter ? $"failing without a success since {current.FailingSince:O}"
            : null;
        if (disableReason is not null)
        {
            var disabled = await Db.Endpoints.Where(e => e.Id == endpoint.Id && e.Enabled)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false).SetProperty(e => e.DisabledReason, disableReason), cancellationToken);
            if (disabled == 1)
            {
                await OperationalEvents.PublishAsync(publisher, Routing.EventTypes.EndpointDisabled, endpoint.Id, disableReason, cancellationToken);
            }

            return;
        }

        if (current.ConsecutiveFailures >= _options.CircuitBreakerThreshold && current.CircuitOpenUntil is null)
        {
            var openUntil = now + ProbeSpacing(current);
            await Db.Endpoints.Where(e => e.Id == endpoint.Id && e.CircuitOpenUntil == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.CircuitOpenUntil, openUntil), cancellationToken);
        }
    }

    /// <summary>Probes follow the endpoint's own retry schedule: one per step, the last step repeating.</summary>
    private TimeSpan ProbeSpacing(WebhookEndpoint endpoint)
    {
        var schedule = EndpointSchedules.For(endpoint, _options);
        if (schedule.Delays.Count == 0)
        {
            return TimeSpan.FromSeconds(5);
        }

        var step = Math.Clamp(endpoint.ConsecutiveFailures - _options.CircuitBreakerThreshold, 0, schedule.Delays.Count - 1);
        return schedule.Delays[step];
    }
}
