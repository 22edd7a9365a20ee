using Npgsql;
using NpgsqlTypes;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// <see cref="DeliveredWriter"/>'s batch on PostgreSQL as one statement, one round trip: the batch goes
/// in as arrays; the attempts' insert and the finishing update are data-modifying parts of the statement,
/// so they commit together or not at all, without a transaction of their own (four round trips through
/// EF Core: insert, update, the successors' read, commit). What it does is exactly the portable path's:
/// <list type="bullet">
/// <item>every attempt is inserted, including one for a delivery that is already final;</item>
/// <item>a delivery not yet final becomes Delivered with the batch's stamp and its own status code (the state test
/// is a CASE for the reason given at <see cref="DeliveredWriter.Finishable"/>);</item>
/// <item>each item's successor is the next open delivery after it for the same endpoint and user, returned only
/// if it is parked (Waiting); it is read through the ordering guard's index of open deliveries, one row per item.</item>
/// </list>
/// EF Core's command pipeline runs it (<see cref="PostgresStatement"/>), so its interceptors see it and Npgsql prepares it
/// like any other.
/// </summary>
internal static class PostgresDeliveredBatch
{
    // The parts of one statement all see the database as it was when it began: the successors' read does
    // not see this batch's finishing update. So where a batch holds two deliveries of one user and endpoint
    // (possible only without per-user order, where nothing is parked), the earlier one's next is the later.
    // The finishing update takes each row's status code by its position in the arrays rather than joining the
    // batch: joined, the planner scanned the whole batch once per updated row, and as an UPDATE's join it built a
    // whole-row copy of every batch row it scanned, for a possible recheck (n² of them: a tenth of PostgreSQL's
    // CPU in the benchmark, with about 30 deliveries a batch). array_position is n² comparisons of two uuids.
    private static readonly PostgresStatement Statement = new("""
        WITH batch AS (
            SELECT * FROM unnest(@id, @status_code, @endpoint_id, @user_id, @sequence,
                                 @attempt_delivery_id, @attempt_number, @attempt_started_at, @attempt_duration_ms,
                                 @attempt_status_code, @attempt_error, @attempt_response_body, @attempt_succeeded, @attempt_worker_id)
                WITH ORDINALITY AS b(id, status_code, endpoint_id, user_id, sequence,
                                     attempt_delivery_id, attempt_number, attempt_started_at, attempt_duration_ms,
                                     attempt_status_code, attempt_error, attempt_response_body, attempt_succeeded, attempt_worker_id, ordinal)
        ), recorded AS (
            INSERT INTO attempts ("DeliveryId", "Number", "StartedAt", "DurationMs", "StatusCode", "Error", "ResponseBody", "Succeeded", "WorkerId")
            SELECT attempt_delivery_id, attempt_number, attempt_started_at, attempt_duration_ms,
                   attempt_status_code, attempt_error, attempt_response_body, attempt_succeeded, attempt_worker_id
            FROM batch ORDER BY ordinal
        ), finished AS (
            UPDATE deliveries AS d
            SET "Status" = 'Delivered', "FinalAt" = @final_at, "NextAttemptAt" = NULL, "LeaseUntil" = NULL,
                "LastStatusCode" = (@status_code)[array_position(@id, d."Id")], "LastError" = NULL
            WHERE d."Id" = ANY(@id)
              AND CASE WHEN d."Status" <> 'Delivered' AND d."Status" <> 'DeadLettered' THEN 1 ELSE 0 END = 1
            RETURNING d."Id"
        )
        SELECT b.ordinal AS "Ordinal",
               EXISTS (SELECT 1 FROM finished AS f WHERE f."Id" = b.id) AS "Finished",
               CASE WHEN s."Status" = 'Waiting' THEN s."Id" END AS "SuccessorId",
               CASE WHEN s."Status" = 'Waiting' THEN s."EventId" END AS "SuccessorEventId",
               CASE WHEN s."Status" = 'Waiting' THEN s."Sequence" END AS "SuccessorSequence"
        FROM batch AS b
        LEFT JOIN LATERAL (
            SELECT w."Id", w."EventId", w."Sequence", w."Status"
            FROM deliveries AS w
            WHERE w."EndpointId" = b.endpoint_id AND w."UserId" = b.user_id AND w."Sequence" > b.sequence
              AND w."Status" <> 'Delivered' AND w."Status" <> 'DeadLettered'
            ORDER BY w."Sequence"
            LIMIT 1) AS s ON TRUE
        ORDER BY b.ordinal
        """);

    public static async Task<IReadOnlyList<DeliveredRecord>> WriteAsync(RewardEventsDbContext db, IReadOnlyList<DeliveredWriter.Item> batch, DateTime finalAt)
    {
        var rows = await Statement.QueryAsync(
            db, Parameters(batch, finalAt),
            r => new Row(r.GetInt64(0), r.GetBoolean(1), r.Nullable<Guid>(2), r.NullableString(3), r.Nullable<long>(4)), CancellationToken.None);
        if (rows.Count != batch.Count)
        {
            throw new InvalidOperationException($"The delivered batch of {batch.Count} returned {rows.Count} rows.");
        }

        return rows.Select((row, i) =>
        {
            var item = batch[i].Delivery;
            var successor = row.SuccessorId is { } id
                ? DeliveryCommands.For(id, row.SuccessorEventId!, item.EndpointId, item.UserId, row.SuccessorSequence!.Value)
                : null;
            return new DeliveredRecord(row.Finished, successor);
        }).ToArray();
    }

    /// <summary>The statement as it runs, for plan tests: its command text with a batch's parameters.</summary>
    internal static (string Sql, NpgsqlParameter[] Parameters) Command(IReadOnlyList<DeliveredWriter.Item> batch, DateTime finalAt) =>
        (Statement.Sql, Parameters(batch, finalAt));

    private static NpgsqlParameter[] Parameters(IReadOnlyList<DeliveredWriter.Item> batch, DateTime finalAt)
    {
        NpgsqlParameter Array<T>(string name, NpgsqlDbType type, Func<DeliveredWriter.Item, T> value) =>
            new(name, NpgsqlDbType.Array | type) { Value = batch.Select(value).ToArray() };

        return
        [
            Array("id", NpgsqlDbType.Uuid, i => i.Delivery.Id),
            Array("status_code", NpgsqlDbType.Integer, i => i.StatusCode),
            Array("endpoint_id", NpgsqlDbType.Text, i => i.Delivery.EndpointId),
            Array("user_id", NpgsqlDbType.Text, i => i.Delivery.UserId),
            Array("sequence", NpgsqlDbType.Bigint, i => i.Delivery.Sequence),
            Array("attempt_delivery_id", NpgsqlDbType.Uuid, i => i.Attempt.DeliveryId),
            Array("attempt_number", NpgsqlDbType.Integer, i => i.Attempt.Number),
            Array("attempt_started_at", NpgsqlDbType.TimestampTz, i => UtcTimestamps.ToStore(i.Attempt.StartedAt)),
            Array("attempt_duration_ms", NpgsqlDbType.Integer, i => i.Attempt.DurationMs),
            Array("attempt_status_code", NpgsqlDbType.Integer, i => i.Attempt.StatusCode),
            Array("attempt_error", NpgsqlDbType.Text, i => i.Attempt.Error),
            Array("attempt_response_body", NpgsqlDbType.Text, i => i.Attempt.ResponseBody),
            Array("attempt_succeeded", NpgsqlDbType.Boolean, i => i.Attempt.Succeeded),
            Array("attempt_worker_id", NpgsqlDbType.Text, i => i.Attempt.WorkerId),
            new NpgsqlParameter("final_at", NpgsqlDbType.TimestampTz) { Value = UtcTimestamps.ToStore(finalAt) },
        ];
    }

    /// <summary>One row per item of the batch, in its order.</summary>
    private sealed record Row(long Ordinal, bool Finished, Guid? SuccessorId, string? SuccessorEventId, long? SuccessorSequence);
}
