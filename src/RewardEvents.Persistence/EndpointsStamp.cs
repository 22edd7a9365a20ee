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

    /// <summary>Gives the stamp a new value; call inside the transaction that changes the endpoints.</summary>
    public static Task TouchAsync(RewardEventsDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var stamp = Guid.NewGuid();
        return db.EndpointsStamps.Where(s => s.Id == RowId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Stamp, stamp), cancellationToken);
    }
}
