using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Npgsql;
using NpgsqlTypes;

namespace RewardEvents.Persistence;

/// <summary>
/// The router's write for a new event on PostgreSQL as one statement, one round trip: the routing saga, the
/// user's counter and the event's deliveries. Through EF Core's <c>SaveChanges</c> it is two (the batch, then
/// the commit of the transaction EF opens around it), and the transaction cannot go: EF checks the counter's
/// version on the client, after the batch has run, so without it a conflict would leave the batch committed.
/// Here the check is made by the database, inside the statement:
/// <list type="bullet">
/// <item>the counter is an upsert whose update is conditional on the version the router read (none, for a user
/// new to it: then an existing row is a conflict too);</item>
/// <item>the saga and the deliveries are inserted only if the counter was taken;</item>
/// <item>the statement returns whether it was, and a conflict is raised as EF raises it,
/// <see cref="DbUpdateConcurrencyException"/>, for the router's message retry to redo the event.</item>
/// </list>
/// The parts of one statement commit together or not at all, and the counter row stays locked until they
/// have, so, as through EF Core, the order of a user's sequence numbers is the commit order of their
/// deliveries. Used only when the tracked changes are exactly that shape (<see cref="Match"/>); every other
/// <c>SaveChanges</c> goes through EF Core. EF Core's command pipeline runs the statement (<see cref="PostgresStatement"/>),
/// so its command interceptors see it and Npgsql prepares it like any other.
/// </summary>
internal static class PostgresRoutingWrite
{
    private static readonly PostgresStatement Statement = new("""
        WITH counter AS (
            INSERT INTO user_sequences AS u ("UserId", "LastSequence", "Version")
            VALUES (@user_id, @last_sequence, @version)
            ON CONFLICT ("UserId") DO UPDATE SET "LastSequence" = excluded."LastSequence", "Version" = excluded."Version"
            WHERE u."Version" = @expected_version
            RETURNING 1
        ), routed AS (
            INSERT INTO routings ("CorrelationId", "CurrentState", "EventId", "EventType", "UserId", "Sequence", "Payload",
                                  "DeliveryCount", "FinalCount", "ReceivedAt", "CompletedAt", "Version")
            SELECT @r_correlation_id, @r_current_state, @r_event_id, @r_event_type, @r_user_id, @r_sequence, @r_payload,
                   @r_delivery_count, @r_final_count, @r_received_at, @r_completed_at, @r_version
            WHERE EXISTS (SELECT 1 FROM counter)
        ), delivered AS (
            INSERT INTO deliveries ("Id", "RoutingId", "EventId", "EventType", "EndpointId", "UserId", "Sequence", "WebhookId",
                                    "Status", "AttemptCount", "CreatedAt", "NextAttemptAt", "LeaseUntil", "FinalAt",
                                    "LastStatusCode", "LastError", "TraceParent", "ManualRetry", "Test")
            SELECT * FROM unnest(@d_id, @d_routing_id, @d_event_id, @d_event_type, @d_endpoint_id, @d_user_id, @d_sequence, @d_webhook_id,
                                 @d_status, @d_attempt_count, @d_created_at, @d_next_attempt_at, @d_lease_until, @d_final_at,
                                 @d_last_status_code, @d_last_error, @d_trace_parent, @d_manual_retry, @d_test)
            WHERE EXISTS (SELECT 1 FROM counter)
        )
        SELECT count(*)::int AS "Value" FROM counter
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

    /// <returns>The number of rows written, as <c>SaveChanges</c> counts them.</returns>
    /// <exception cref="DbUpdateConcurrencyException">The counter moved since the router read it: nothing was written.</exception>
    /// <exception cref="DbUpdateException">The database refused a row: nothing was written.</exception>
    public static async Task<int> WriteAsync(DbContext db, Changes changes, CancellationToken cancellationToken)
    {
        List<int> taken;
        try
        {
            taken = await Statement.QueryAsync(db, Parameters(changes), r => r.GetInt32(0), cancellationToken);
        }
        catch (DbException e)
        {
            throw new DbUpdateException($"The routing of event {changes.Routing.EventId} was not saved: {e.Message}", e);
        }

        if (taken is not [1])
        {
            throw new DbUpdateConcurrencyException(
                $"The sequence counter of user {changes.Counter.UserId} moved since it was read; the routing of event {changes.Routing.EventId} was not saved.");
        }

        return 2 + changes.Deliveries.Count;
    }

    private static NpgsqlParameter[] Parameters(Changes changes)
    {
        var routing = changes.Routing;
        var deliveries = changes.Deliveries;

        static NpgsqlParameter Scalar(string name, NpgsqlDbType type, object? value) => new(name, type) { Value = value ?? DBNull.Value };
        NpgsqlParameter Array<T>(string name, NpgsqlDbType type, Func<Delivery, T> value) =>
            new(name, NpgsqlDbType.Array | type) { Value = deliveries.Select(value).ToArray() };

        return
        [
            Scalar("user_id", NpgsqlDbType.Text, changes.Counter.UserId),
            Scalar("last_sequence", NpgsqlDbType.Bigint, changes.Counter.LastSequence),
            Scalar("version", NpgsqlDbType.Integer, changes.Counter.Version),
            Scalar("expected_version", NpgsqlDbType.Integer, changes.ExpectedVersion),
            Scalar("r_correlation_id", NpgsqlDbType.Uuid, routing.CorrelationId),
            Scalar("r_current_state", NpgsqlDbType.Text, routing.CurrentState),
            Scalar("r_event_id", NpgsqlDbType.Text, routing.EventId),
            Scalar("r_event_type", NpgsqlDbType.Text, routing.EventType),
            Scalar("r_user_id", NpgsqlDbType.Text, routing.UserId),
            Scalar("r_sequence", NpgsqlDbType.Bigint, routing.Sequence),
            Scalar("r_payload", NpgsqlDbType.Text, routing.Payload),
            Scalar("r_delivery_count", NpgsqlDbType.Integer, routing.DeliveryCount),
            Scalar("r_final_count", NpgsqlDbType.Integer, routing.FinalCount),
            Scalar("r_received_at", NpgsqlDbType.TimestampTz, UtcTimestamps.ToStore(routing.ReceivedAt)),
            Scalar("r_completed_at", NpgsqlDbType.TimestampTz, UtcTimestamps.ToStore(routing.CompletedAt)),
            Scalar("r_version", NpgsqlDbType.Integer, routing.Version),
            Array("d_id", NpgsqlDbType.Uuid, d => d.Id),
            Array("d_routing_id", NpgsqlDbType.Uuid, d => d.RoutingId),
            Array("d_event_id", NpgsqlDbType.Text, d => d.EventId),
            Array("d_event_type", NpgsqlDbType.Text, d => d.EventType),
            Array("d_endpoint_id", NpgsqlDbType.Text, d => d.EndpointId),
            Array("d_user_id", NpgsqlDbType.Text, d => d.UserId),
            Array("d_sequence", NpgsqlDbType.Bigint, d => d.Sequence),
            Array("d_webhook_id", NpgsqlDbType.Text, d => d.WebhookId),
            Array("d_status", NpgsqlDbType.Text, d => d.Status.ToString()),
            Array("d_attempt_count", NpgsqlDbType.Integer, d => d.AttemptCount),
            Array("d_created_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.CreatedAt)),
            Array("d_next_attempt_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.NextAttemptAt)),
            Array("d_lease_until", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.LeaseUntil)),
            Array("d_final_at", NpgsqlDbType.TimestampTz, d => UtcTimestamps.ToStore(d.FinalAt)),
            Array("d_last_status_code", NpgsqlDbType.Integer, d => d.LastStatusCode),
            Array("d_last_error", NpgsqlDbType.Text, d => d.LastError),
            Array("d_trace_parent", NpgsqlDbType.Text, d => d.TraceParent),
            Array("d_manual_retry", NpgsqlDbType.Boolean, d => d.ManualRetry),
            Array("d_test", NpgsqlDbType.Boolean, d => d.Test),
        ];
    }
}
