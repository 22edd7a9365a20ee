using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>What the router's first read found for one event: its probe, and whether its saga exists.</summary>
internal readonly record struct ProbeRead(RoutingProbe Probe, bool Routed);

/// <summary>
/// The router's first read of each event on PostgreSQL (<see cref="RoutingSagaReader"/>: the endpoints' stamp, the
/// user's counter, whether the event's saga exists), for the events it routes at once in one statement, one round
/// trip for the lot, as its writes are (<c>RoutingGroupCommit</c>). Alone, an event waits for nobody.
/// Registered by the router ahead of the bus, so that it stops after it.
/// </summary>
internal sealed class RoutingProbeReads(IServiceScopeFactory scopes, ILogger<RoutingProbeReads> logger)
    : GroupCommit<(Guid CorrelationId, string UserId), ProbeRead?>(logger)
{
    /// <summary>
    /// One row per event, in the order given; none at all without the stamp row (removed by hand). Each event's
    /// counter and saga are looked up by key, one row each (<c>LATERAL … LIMIT 1</c>, <c>EXISTS</c>), whatever plan
    /// the batch's size suggests.
    /// </summary>
    private static readonly PostgresStatement Statement = new("""
        SELECT s."Stamp", u."LastSequence", u."Version",
               EXISTS (SELECT 1 FROM routings AS r WHERE r."CorrelationId" = q.correlation_id) AS "Routed"
        FROM unnest(@correlation_ids, @user_ids) WITH ORDINALITY AS q(correlation_id, user_id, ordinal)
        JOIN endpoints_stamp AS s ON s."Id" = @stamp_row
        LEFT JOIN LATERAL (SELECT x."LastSequence", x."Version" FROM user_sequences AS x WHERE x."UserId" = q.user_id LIMIT 1) AS u ON true
        ORDER BY q.ordinal
        """);

    public Task<ProbeRead?> ReadAsync(Guid correlationId, string userId, CancellationToken cancellationToken) =>
        EnqueueAsync((correlationId, userId), cancellationToken);

    protected override async Task<IReadOnlyList<ProbeRead?>> RunAsync(IReadOnlyList<(Guid CorrelationId, string UserId)> items)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await ReadAsync(scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>(), items, CancellationToken.None);
    }

    /// <summary>The events' reads in one statement on the context's connection: one per event, in order; all null without the stamp row.</summary>
    public static async Task<IReadOnlyList<ProbeRead?>> ReadAsync(
        RewardEventsDbContext db, IReadOnlyList<(Guid CorrelationId, string UserId)> items, CancellationToken cancellationToken)
    {
        var rows = await Statement.QueryAsync(db, Parameters(items),
            r => (ProbeRead?)new ProbeRead(new RoutingProbe(r.GetGuid(0), r.Nullable<long>(1), r.Nullable<int>(2)), r.GetBoolean(3)),
            cancellationToken);
        return rows.Count == items.Count ? rows : [.. items.Select(_ => (ProbeRead?)null)];
    }

    internal static NpgsqlParameter[] Parameters(IReadOnlyList<(Guid CorrelationId, string UserId)> items) =>
    [
        new("correlation_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = items.Select(i => i.CorrelationId).ToArray() },
        new("user_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => i.UserId).ToArray() },
        new("stamp_row", NpgsqlDbType.Integer) { Value = EndpointsStamp.RowId },
    ];

    /// <summary>The statement with its <c>@name</c> placeholders, for tests that look at its plan.</summary>
    internal static string Sql => Statement.Sql;
}
