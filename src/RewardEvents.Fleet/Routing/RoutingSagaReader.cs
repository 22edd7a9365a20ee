using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Reads an event's saga row together with what routing a new event reads first (the endpoints' stamp and the
/// user's counter, <see cref="RoutingProbe"/>): one round trip where there were two. Scoped to the message, like
/// its database context; <see cref="RouteEventActivity{TMessage}"/> takes the probe from here.
/// On PostgreSQL the query is a <see cref="PostgresStatement"/> (built once, not a LINQ query compiled and looked up
/// per event) that reads whether the saga exists rather than its row: a new event, the common case, has none, and the
/// row of a routed one (a duplicate) is then read by id, tracked, in a second query. In the router that statement reads
/// for all the events it routes at once (<see cref="RoutingProbeReads"/>).
/// </summary>
internal sealed class RoutingSagaReader(RoutingProbeReads? groupReads = null) : ISagaInstanceReader<RoutingState, RewardEventsDbContext>
{
    private (string UserId, RoutingProbe Probe)? _probe;

    public async Task<RoutingState?> ReadAsync<TMessage>(
        RewardEventsDbContext db, TMessage message, Guid correlationId, CancellationToken cancellationToken)
        where TMessage : class
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(message);
        _probe = null;
        var userId = RoutingInput.From(message).UserId;
        if (db.Database.IsNpgsql())
        {
            return await ReadPostgresAsync(db, userId, correlationId, cancellationToken);
        }

        var read = await Read(db, userId, correlationId).FirstOrDefaultAsync(cancellationToken);
        if (read is null)
        {
            // No stamp row (removed by hand): the saga alone; the activity reads the counter itself.
            return await SagaAsync(db, correlationId, cancellationToken);
        }

        _probe = (userId, read.Probe);
        return read.Saga;
    }

    private async Task<RoutingState?> ReadPostgresAsync(RewardEventsDbContext db, string userId, Guid correlationId, CancellationToken cancellationToken)
    {
        // In the router, read with the other events it routes at once, unless this context has a transaction open.
        var read = groupReads is not null && db.Database.CurrentTransaction is null
            ? await groupReads.ReadAsync(correlationId, userId, cancellationToken)
            : (await RoutingProbeReads.ReadAsync(db, [(correlationId, userId)], cancellationToken))[0];
        if (read is { } row)
        {
            _probe = (userId, row.Probe);
            if (!row.Routed)
            {
                return null;
            }
        }

        // A routed event, or no stamp row (removed by hand: then the activity reads the counter itself).
        return await SagaAsync(db, correlationId, cancellationToken);
    }

    /// <summary>The saga row alone, by id, tracked.</summary>
    private static Task<RoutingState?> SagaAsync(RewardEventsDbContext db, Guid correlationId, CancellationToken cancellationToken) =>
        db.Routings.FirstOrDefaultAsync(r => r.CorrelationId == correlationId, cancellationToken);

    /// <summary>The probe read with this message's saga, once; null where it was not read for this user.</summary>
    public RoutingProbe? TakeProbe(string userId)
    {
        var taken = _probe;
        _probe = null;
        return taken is { } t && t.UserId == userId ? t.Probe : null;
    }

    /// <summary>
    /// The saga row (tracked; null for a new event) joined to the probe of the stamp and the user's
    /// counter, in one query. Each table is referenced once, so the counter's sequence and version come from one
    /// reading of its row.
    /// </summary>
    internal static IQueryable<RoutingRead> Read(RewardEventsDbContext db, string userId, Guid correlationId) =>
        from p in Probe(db, userId)
        from r in db.Routings.Where(r => r.CorrelationId == correlationId).DefaultIfEmpty()
        select new RoutingRead(r, p);

    /// <summary>
    /// The endpoints' stamp and the user's counter (null where the user has none yet), in one query. The
    /// counter row is joined, not read by two scalar subqueries, so its sequence and version come from
    /// one reading of the row even where READ COMMITTED does not read from a snapshot (SQL Server). It projects
    /// values only, so nothing is tracked, and it composes with <see cref="Read"/>'s tracked saga row.
    /// </summary>
    internal static IQueryable<RoutingProbe> Probe(RewardEventsDbContext db, string userId) =>
        from s in db.EndpointsStamps
        where s.Id == EndpointsStamp.RowId
        from u in db.UserSequences.Where(u => u.UserId == userId).DefaultIfEmpty()
        select new RoutingProbe(s.Stamp, u == null ? null : u.LastSequence, u == null ? null : u.Version);
}

/// <summary>An event's saga row, if any, and what the router reads first for it.</summary>
internal sealed record RoutingRead(RoutingState? Saga, RoutingProbe Probe);
