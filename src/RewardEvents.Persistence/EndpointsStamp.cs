using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>
/// One row whose <see cref="Stamp"/> takes a new value in the same transaction as every change to the
/// endpoints that could change routing (create, update, delete). The router keeps the endpoint list in
/// memory and reads only this stamp with each event, reloading the list when the stamp differs from the
/// one it loaded with: a value written by a commit can never equal one read before that commit.
/// </summary>
public sealed class EndpointsStamp
{
    public const int RowId = 1;

    public int Id { get; init; }

    public Guid Stamp { get; set; }

    /// <summary>
    /// Runs <paramref name="change"/> and gives the stamp a new value in the same transaction; when the change
    /// reports that it changed nothing, nothing is committed and the stamp stays.
    /// </summary>
    public static async Task<bool> ChangeAsync(RewardEventsDbContext db, Func<Task<bool>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(change);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await change())
        {
            return false;
        }

        await TouchAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Gives the stamp a new value; call inside the transaction that changes the endpoints.</summary>
    public static Task TouchAsync(RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var stamp = Guid.NewGuid();
        return db.EndpointsStamps.Where(s => s.Id == RowId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Stamp, stamp), cancellationToken);
    }
}
