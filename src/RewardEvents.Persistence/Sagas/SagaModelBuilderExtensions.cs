using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RewardEvents.Persistence.Sagas;

/// <summary>Maps <see cref="IVersionedSaga"/> entities; call from the owning DbContext's <c>OnModelCreating</c>.</summary>
public static class SagaModelBuilderExtensions
{
    /// <summary>
    /// Maps <typeparamref name="TSaga"/> with <c>CorrelationId</c> as its client-assigned key and
    /// <c>Version</c> as its concurrency token. Returns the entity builder for the saga's other columns.
    /// </summary>
    public static EntityTypeBuilder<TSaga> ConfigureSaga<TSaga>(this ModelBuilder modelBuilder)
        where TSaga : class, IVersionedSaga
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        return modelBuilder.Entity<TSaga>().ConfigureSaga();
    }

    /// <inheritdoc cref="ConfigureSaga{TSaga}(ModelBuilder)"/>
    public static EntityTypeBuilder<TSaga> ConfigureSaga<TSaga>(this EntityTypeBuilder<TSaga> entity)
        where TSaga : class, IVersionedSaga
    {
        ArgumentNullException.ThrowIfNull(entity);

        // Property names rather than lambdas: a lambda over a generic TSaga goes through the interface
        // member, which EF's key and property builders do not accept on every version.
        entity.HasKey(nameof(ISaga.CorrelationId));
        entity.Property<Guid>(nameof(ISaga.CorrelationId)).ValueGeneratedNever();
        entity.Property<int>(nameof(IVersionedSaga.Version)).IsConcurrencyToken();
        return entity;
    }
}
