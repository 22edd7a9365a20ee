using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// The live endpoints as the router matches them, held in memory between changes: each event reads the
/// endpoints' stamp (<see cref="EndpointsStamp"/>, with the user's counter in the same query) and the list
/// is read again only when the stamp has moved, or after <see cref="MaxAge"/> whatever it says (a row
/// edited by hand, outside the API). Without it every event read every endpoint, a cost that grew with
/// the number of endpoints however few an event matched. The entities are shared: read them, never change them.
/// </summary>
public sealed class EndpointDirectory(TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private Snapshot? _current;

    /// <param name="stamp">The stamp read just now, before the list; null (no stamp row) reads the list every time.</param>
    public async Task<IReadOnlyList<WebhookEndpoint>> LiveAsync(RewardEventsDbContext db, Guid? stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var current = Volatile.Read(ref _current);
        if (stamp is { } value && current is not null && current.Stamp == value && time.GetElapsedTime(current.LoadedAt) < MaxAge)
        {
            return current.Endpoints;
        }

        // Read after the stamp: a change committed in between shows in this list and moves the stamp,
        // so the worst case is one extra read, never a change missed.
        var loadedAt = time.GetTimestamp();
        var endpoints = await db.Endpoints.AsNoTracking().Where(e => e.DeletedAt == null).ToListAsync(cancellationToken);
        if (stamp is { } loadedWith)
        {
            Volatile.Write(ref _current, new Snapshot(loadedWith, endpoints, loadedAt));
        }

        return endpoints;
    }

    private sealed record Snapshot(Guid Stamp, IReadOnlyList<WebhookEndpoint> Endpoints, long LoadedAt);
}
