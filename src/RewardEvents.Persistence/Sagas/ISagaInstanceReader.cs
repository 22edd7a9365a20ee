using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence.Sagas;

/// <summary>
/// Reads the saga instance a message correlates to, tracked by the context given. Without one registered the
/// repository reads the row by id; a saga registers its own to read, in the same round trip, what its first
/// activity will need (the router reads the user's counter and the endpoints' stamp with the saga row).
/// </summary>
public interface ISagaInstanceReader<TSaga, in TDbContext>
    where TSaga : class, IVersionedSaga
    where TDbContext : DbContext
{
    /// <returns>The tracked instance, or null where there is none yet.</returns>
    Task<TSaga?> ReadAsync<TMessage>(TDbContext db, TMessage message, Guid correlationId, CancellationToken cancellationToken)
        where TMessage : class;
}
