using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence.Sagas;

/// <summary>
/// A small EF Core saga repository on MassTransit's core extension points, standing in for the
/// MassTransit.EntityFrameworkCore package we cannot use here. Optimistic: instances load tracked
/// by correlation id, updates carry the <see cref="IVersionedSaga.Version"/> token, and conflicts
/// (a stale version, or two inserts of one id) surface as <see cref="DbUpdateException"/> for the
/// endpoint's message retry to redo with a fresh scope. It uses the message scope's own
/// <typeparamref name="TDbContext"/>, so rows that saga activities add to that context commit
/// atomically with the saga itself. An <see cref="ISagaInstanceReader{TSaga, TDbContext}"/>, where one is
/// registered, reads the instance in place of the repository's own query.
/// </summary>
public sealed class EfSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext db, ISagaConsumeContextFactory<TDbContext, TSaga> factory, ISagaInstanceReader<TSaga, TDbContext>? reader = null)
    : ISagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, IVersionedSaga
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(next);
        var repositoryContext = new EfSagaRepositoryContext<TSaga, TDbContext, T>(db, context, factory, reader);
        try
        {
            await next.Send(repositoryContext);
        }
        catch
        {
            // A retry may run in this same scope: it must not see this attempt's half-made changes.
            db.ChangeTracker.Clear();
            throw;
        }
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException("RewardEvents sagas correlate by id; query correlation is not supported.");

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(asyncMethod);
        return await asyncMethod(new EfLoadSagaRepositoryContext<TSaga, TDbContext>(db, cancellationToken));
    }

    public void Probe(ProbeContext context) => context?.Add("persistence", "entity-framework-core");
}
