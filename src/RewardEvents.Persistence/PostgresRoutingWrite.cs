using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Npgsql;
using NpgsqlTypes;

namespace RewardEvents.Persistence;

/// <summary>
/// The router's write for new events on PostgreSQL as one statement, one round trip: for each event its routing
/// saga, its user's counter and its deliveries. Through EF Core's <c>SaveChanges</c> one event is two round trips
/// (the batch, then the commit of the transaction EF opens around it), and the transaction cannot go: EF checks the
/// counter's version on the client, after the batch has run, so without it a conflict would leave the batch committed.
/// Here the check is made by the database, inside the statement, for each event on its own:
/// <list type="bullet">
/// <item>the counters are an upsert whose update is conditional on the version the router read (none, for a user
/// new to it: then an existing row is a conflict too);</item>
/// <item>an event's saga and deliveries are inserted only if its counter was taken;</item>
/// <item>the statement returns the users whose counter it took; for any other event nothing was written, and its
/// conflict is raised as EF raises it, <see cref="DbUpdateConcurrencyException"/>, for the router's message retry
/// to redo the event.</item>
/// </list>
/// The events of one statement are of different users (each user's counter is one row, which one statement may
/// change only once). The parts of one statement commit together or not at all, and a counter row stays locked
/// until they have, so, as through EF Core, the order of a user's sequence numbers is the commit order of their
/// deliveries. A row the database refuses fails the whole statement. A context writes its own event this way
/// when its tracked changes are exactly that shape (<see cref="Match"/>); every other <c>SaveChanges</c> goes
/// through EF Core. The router gathers the events it routes at once into one statement (<see cref="RoutingGroupCommit"/>).
/// EF Core's command pipeline runs the statement (<see cref="PostgresStatement"/>), so its command interceptors see
/// it and Npgsql prepares it like any other.
/// </summary>
internal static class PostgresRoutingWrite
{
    private static readonly PostgresStatement Statement = new("""
        WITH input AS (
            SELECT * FROM unnest(@c_user_id, @c_last_sequence, @c_version, @c_expected_version)
                AS i(user_id, last_sequence, version, expected_version)
        ), counter AS (
            INSERT INTO user_sequences AS u ("UserId", "LastSequence", "Version")
            SELECT user_id, last_sequence, version FROM input
            ON CONFLICT ("UserId") DO UPDATE SET "LastSequence" = excluded."LastSequence", "Version" = excluded."Version"
            WHERE u."Version" = (SELECT i.expected_version FROM input i WHERE i.user_id = excluded."UserId")
            RETURNING u."UserId"
        ), routed AS (
            INSERT INTO routings ("CorrelationId", "CurrentState", "EventId", "EventType", "UserId", "Sequence", "Payload",
                                  "DeliveryCount", "FinalCount", "ReceivedAt", "CompletedAt", "Version")
            SELECT * FROM unnest(@r_correlation_id, @r_current_state, @r_event_id, @r_event_type, @r_user_id, @r_sequence, @r_payload,
                                 @r_delivery_count, @r_final_count, @r_received_at, @r_completed_at, @r_version)
                AS r(correlation_id, current_state, event_id, event_type, user_id)
            WHERE r.user_id IN (SELECT "UserId" FROM counter)
            RETURNING "CorrelationId"
        ), delivered AS (
            INSERT INTO deliveries ("Id", "RoutingId", "EventId", "EventType", "EndpointId", "UserId", "Sequence", "WebhookId",
                                    "Status", "AttemptCount", "CreatedAt", "NextAttemptAt", "LeaseUntil", "FinalAt",
                                    "LastStatusCode", "LastError", "TraceParent", "ManualRetry", "Test")
            SELECT * FROM unnest(@d_id, @d_routing_id, @d_event_id, @d_event_type, @d_endpoint_id, @d_user_id, @d_sequence, @d_webhook_id,
                                 @d_status, @d_attempt_count, @d_created_at, @d_next_attempt_at, @d_lease_until, @d_final_at,
                                 @d_last_status_code, @d_last_error, @d_trace_parent, @d_manual_retry, @d_test)
                AS d(id, routing_id)
            WHERE d.routing_id IN (SELECT "CorrelationId" FROM routed)
        )
        SELECT "UserId" AS "Value" FROM counter
        """);

    /// <summary>A new event's routing as tracked by a context: the saga added, the counter added or changed, the deliveries added.</summary>
    internal sealed record Changes(RoutingState Routing, UserSequence Counter, int? ExpectedVersion, IReadOnlyList<Delivery> Deliveries);

    /// <summary>The tracked changes if they are exactly a new event's routing; otherwise null, and EF Core saves them.</summary>
    public static Changes? Match(ChangeTracker tracker)
    {
        RoutingState? routing = null;
        UserSequence? counter = null;
        int? expectedVersion = null;
        var deliveries = new List<Delivery>();
        foreach (var entry in tracker.Entries()) // detects changes first, as SaveChanges would
        {
            switch (entry.State, entry.Entity)
            {
                case (EntityState.Unchanged or EntityState.Detached, _):
                    break;
                case (EntityState.Added, RoutingState added) when routing is null:
                    routing = added;
                    break;
                case (EntityState.Added, Delivery added):
                    deliveries.Add(added);
                    break;
                case (EntityState.Added, UserSequence added) when counter is null:
                    counter = added;
                    break;
                case (EntityState.Modified, UserSequence changed) when counter is null:
                    counter = changed;
                    expectedVersion = (int)entry.Property(nameof(UserSequence.Version)).OriginalValue!;
                    break;
                default:
                    return null;
            }
        }

        return routing is not null && counter is not null
               && counter.UserId == routing.UserId && deliveries.TrueForAll(d => d.RoutingId == routing.CorrelationId)
            ? new Changes(routing, counter, expectedVersion, deliveries)
            : null;
    }

    /// <summary>Writes one event's routing on the context's connection.</summary>
    /// <returns>The number of rows written, as <c>SaveChanges</c> counts them.</returns>
    /// <exception cref="DbUpdateConcurrencyException">The counter moved since the router read it: nothing was written.</exception>
    /// <exception cref="DbUpdateException">The database refused a row: nothing was written.</exception>
    public static async Task<int> WriteAsync(DbContext db, Changes changes, CancellationToken cancellationToken)
    {
        bool taken;
        try
        {
            taken = (await TryWriteAsync(db, [changes], cancellationToken))[0];
        }
        catch (DbException e)
        {
            throw Refused(changes, e);
        }

        return taken ? RowsWritten(changes) : throw Conflict(changes);
    }

    /// <summary>
    /// Writes the routings of several events, of different users, in one statement on the context's connection
    /// (in its transaction, if one is open).
    /// </summary>
    /// <returns>For each event, in order, whether it was written (false: its counter had moved, and nothing of it was).</returns>
    /// <exception cref="DbException">The database refused a row: nothing of any of them was written.</exception>
    public static async Task<bool[]> TryWriteAsync(DbContext db, IReadOnlyList<Changes> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var users = events.Select(e => e.Counter.UserId).ToList();
        if (users.Distinct(StringComparer.Ordinal).Count() != users.Count)
        {
            throw new ArgumentException("The events of one statement must be of different users.", nameof(events));
        }

        var taken = (await Statement.QueryAsync(db, Parameters(events), r => r.GetString(0), cancellationToken)).ToHashSet(StringComparer.Ordinal);
        return [.. users.Select(taken.Contains)];
    }

    public static int RowsWritten(Changes changes) => 2 + changes.Deliveries.Count;

    public static DbUpdateConcurrencyException Conflict(Changes changes) => new(
        $"The sequence counter of user {changes.Counter.UserId} moved since it was read; the routing of event {changes.Routing.EventId} was not saved.");

    public static DbUpdateException Refused(Changes changes, DbException e) =>
        new($"The routing of event {changes.Routing.EventId} was not saved: {e.Message}", e);

    private static NpgsqlParameter[] Parameters(IReadOnlyList<Changes> events)
    {
        var routings = events.Select(e => e.Routing).ToList();
        var deliveries = events.SelectMany(e => e.Deliveries).ToList();

        NpgsqlParameter Counter<T>(string name, NpgsqlDbType type, Func<Changes, T> value) =>
            new(name, NpgsqlDbType.Array | type) { Value = events.Select(value).ToArray() };
        NpgsqlParameter Routing<T>(string name, NpgsqlDbType type, Func<RoutingState, T> value) =>
            new(name, NpgsqlDbType.Array | type) { Value = routings.Select(value).ToArray() };
        NpgsqlParameter Delivery<T>(string name, NpgsqlDbType type, Func<Delivery, T> value) =>
            new(name, NpgsqlDbType.Array | type) { Value = deliveries.Select(value).ToArray() };

        return
        [
            Counter("c_user_id", NpgsqlDbType.Text, e => e.Counter.UserId),
            Counter("c_last_sequence", NpgsqlDbType.Bigint, e => e.Counter.LastSequence),
            Counter("c_version", NpgsqlDbType.Integer, e => e.Counter.Version),
            Counter("c_expected_version", NpgsqlDbType.Integer, e => e.ExpectedVersion),
            Routing("r_correlation_id", NpgsqlDbType.Uuid, r => r.CorrelationId),
            Routing("r_current_state", NpgsqlDbType.Text, r => r.CurrentState),
            Routing("r_event_id", NpgsqlDbType.Text, r => r.EventId),
            Routing("r_event_type", NpgsqlDbType.Text, r => r.EventType),
            Routing("r_user_id", NpgsqlDbType.Text, r => r.UserId),
            Routing("r_sequence", NpgsqlDbType.Bigint, r => r.Sequence),
            Routing("r_payload", NpgsqlDbType.Text, r => r.Payload),
            Routing("r_delivery_count", NpgsqlDbType.Integer, r => r.DeliveryCount),
            Routing("r_final_count", NpgsqlDbType.Integer, r => r.FinalCount),
            Routing("r_received_at", NpgsqlDbType.TimestampTz, r => UtcTimestamps.ToStore(r.ReceivedAt)),
            Routing("r_completed_at", NpgsqlDbType.TimestampTz, r => UtcTimestamps.ToStore(r.CompletedAt)),
            Routing("r_version", NpgsqlDbType.Integer, r => r.Version),
            Delivery("d_id", NpgsqlDbType.Uuid, d => d.Id),
            Delivery("d_routing_id", NpgsqlDbType.Uuid, d => d.RoutingId),
            Delivery("d_event_id", NpgsqlDbType.Text, d => d.EventId),
            Delivery("d_event_type", NpgsqlDbType.Text, d => d.EventType),
            Delivery("d_endpoint_id", NpgsqlDbType.Text, d => d.EndpointId),
            Delivery("d_user_id", NpgsqlDbType.Text, d => d.UserId),
            Delivery("d_sequence", NpgsqlDbType.Bigint, d => d.Sequence),
            Delivery("d_webhook_id", NpgsqlDbType.Text, d => d.WebhookId),
            Delivery("d_status", NpgsqlDbType.Text, d => d.Status.ToString()),
            Delivery("d_attempt_count", NpgsqlDbType.Integer, d => d.AttemptCount),
            Delivery("d_created_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.CreatedAt)),
            Delivery("d_next_attempt_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.NextAttemptAt)),
            Delivery("d_lease_until", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.LeaseUntil)),
            Delivery("d_final_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.FinalAt)),
            Delivery("d_last_status_code", NpgsqlDbType.Integer, d => d.LastStatusCode),
            Delivery("d_last_error", NpgsqlDbType.Text, d => d.LastError),
            Delivery("d_trace_parent", NpgsqlDbType.Text, d => d.TraceParent),
            Delivery("d_manual_retry", NpgsqlDbType.Boolean, d => d.ManualRetry),
            Delivery("d_test", NpgsqlDbType.Boolean, d => d.Test),
        ];
    }
}
