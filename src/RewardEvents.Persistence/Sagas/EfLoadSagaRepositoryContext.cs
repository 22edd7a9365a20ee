using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence.Sagas;

/// <summary>Loads a saga by id outside a message, for MassTransit's saga-loading features.</summary>
internal sealed class EfLoadSagaRepositoryContext<TSaga, TDbContext>(TDbContext db, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, IVersionedSaga
    where TDbContext : DbContext
{
    public async Task<TSaga> Load(Guid correlationId) =>
        (await db.Set<TSaga>().AsNoTracking().FirstOrDefaultAsync(s => s.CorrelationId == correlationId, CancellationToken))!;
}
