using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence.Sagas;

public static class EfSagaRepositoryRegistrationExtensions
{
    /// <summary>
    /// Persists the saga with our EF Core repository in <typeparamref name="TDbContext"/>, which must
    /// be registered scoped (AddDbContext) and map <typeparamref name="TSaga"/> with its
    /// <see cref="IVersionedSaga.Version"/> as a concurrency token. The saga's endpoint must retry
    /// messages (<c>UseMessageRetry</c>): optimistic conflicts are resolved by redoing the message.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga, TDbContext>(this ISagaRegistrationConfigurator<TSaga> configurator)
        where TSaga : class, IVersionedSaga
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.Repository(r =>
        {
            r.RegisterLoadSagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
            r.RegisterSagaRepository<TSaga, TDbContext, SagaConsumeContextFactory<TDbContext, TSaga>, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
        });
        return configurator;
    }
}
