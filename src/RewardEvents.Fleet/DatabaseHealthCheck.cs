using Microsoft.Extensions.Diagnostics.HealthChecks;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet;

internal sealed class DatabaseHealthCheck(RewardEventsDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The database does not answer.");
}
