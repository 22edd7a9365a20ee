using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// <see cref="FirstAttemptClaims"/>'s batch on PostgreSQL as one statement, one round trip instead of two: the
/// claim is a data-modifying part of the statement whose <c>RETURNING</c> tells which rows it claimed and their
/// new state, and the rest of the statement reads every delivery of the batch with its endpoint and payload.
/// The claim's condition is the portable path's (<see cref="FirstAttemptClaims.Claimable"/>) written out in SQL:
/// a first attempt, still pending; its endpoint enabled, not deleted, with no rate limit and a closed circuit; and
/// for a per-user endpoint, no earlier delivery of the user to it still open. Found, as there, by the batch's
/// primary keys only, whatever the statistics say (the state test a CASE, the rest per row).
/// </summary>
internal static class PostgresFirstAttemptClaims
{
    // The parts of one statement see the database as it was when it began, so the read takes a claimed row's new
    // state from the claim's RETURNING. The endpoint and the payload are each read by primary key, once per row (a
    // LATERAL subquery with a LIMIT is not merged into the join): as plain joins the planner was free to hash them,
    // and did, reading every routing row there is for each batch (about 13,000 rows a claim, 98 claims a second, in
    // the benchmark at 600 deliveries/s; the whole events history in production).
    private static readonly PostgresStatement Statement = new("""
        WITH claimed AS (
            UPDATE deliveries AS d
            SET "Status" = 'InFlight', "LeaseUntil" = @lease_until, "AttemptCount" = 1, "ManualRetry" = FALSE
            WHERE d."Id" = ANY(@id)
              AND CASE WHEN d."Status" = 'Pending' AND d."AttemptCount" = 0 THEN 1 ELSE 0 END = 1
              AND (SELECT e."DeletedAt" IS NULL AND e."Enabled" AND e."RateLimit" IS NULL AND e."CircuitOpenUntil" IS NULL
                   FROM endpoints AS e WHERE e."Id" = d."EndpointId")
              AND (NOT EXISTS (SELECT 1 FROM endpoints AS o WHERE o."Id" = d."EndpointId" AND o."Ordering" = 'PerUser')
                   OR NOT EXISTS (SELECT 1 FROM deliveries AS p
                                  WHERE p."EndpointId" = d."EndpointId" AND p."UserId" = d."UserId" AND p."Sequence" < d."Sequence"
                                    AND p."Status" <> 'Delivered' AND p."Status" <> 'DeadLettered'))
            RETURNING d."Id", d."Status", d."LeaseUntil", d."AttemptCount", d."ManualRetry"
        )
        SELECT d."Id", d."RoutingId", d."EventId", d."EventType", d."EndpointId", d."UserId", d."Sequence", d."WebhookId",
               COALESCE(c."Status", d."Status") AS "Status", COALESCE(c."AttemptCount", d."AttemptCount") AS "AttemptCount",
               d."CreatedAt", d."NextAttemptAt", CASE WHEN c."Id" IS NULL THEN d."LeaseUntil" ELSE c."LeaseUntil" END AS "LeaseUntil",
               d."FinalAt", d."LastStatusCode", d."LastError", d."TraceParent",
               COALESCE(c."ManualRetry", d."ManualRetry") AS "ManualRetry", d."Test",
               c."Id" IS NOT NULL AS "Claimed",
               e."Id" AS "EndpointKey", e."Url", e."Description", e."EventTypes", e."Ordering", e."Secrets", e."Trigger",
               e."Headers", e."RateLimit", e."NextSlotAt", e."RetrySchedule", e."Enabled", e."DisabledReason",
               e."CreatedAt" AS "EndpointCreatedAt", e."DeletedAt", e."ConsecutiveFailures", e."FailingSince",
               e."CircuitOpenUntil", e."Version",
               r."Payload"
        FROM deliveries AS d
        LEFT JOIN claimed AS c ON c."Id" = d."Id"
        LEFT JOIN LATERAL (SELECT * FROM endpoints AS x WHERE x."Id" = d."EndpointId" LIMIT 1) AS e ON TRUE
        LEFT JOIN LATERAL (SELECT x."Payload" FROM routings AS x WHERE x."CorrelationId" = d."RoutingId" LIMIT 1) AS r ON TRUE
        WHERE d."Id" = ANY(@id)
        """);

    /// <summary>The batch's deliveries (each distinct id once), which of them this statement claimed, with endpoint and payload.</summary>
    public static async Task<IReadOnlyList<LoadedDelivery>> ClaimAsync(RewardEventsDbContext db, IReadOnlyList<Guid> ids, DateTime leaseUntil)
    {
        var rows = await Statement.QueryAsync(db, Parameters(ids, leaseUntil), Read, CancellationToken.None);
        return rows.ConvertAll(Loaded);
    }

    /// <summary>The statement as it runs, for tests: its command text with a batch's parameters.</summary>
    internal static (string Sql, NpgsqlParameter[] Parameters) Command(IReadOnlyList<Guid> ids, DateTime leaseUntil) =>
        (Statement.Sql, Parameters(ids, leaseUntil));

    private static NpgsqlParameter[] Parameters(IReadOnlyList<Guid> ids, DateTime leaseUntil) =>
    [
        new("lease_until", NpgsqlDbType.TimestampTz) { Value = UtcTimestamps.ToStore(leaseUntil) },
        new("id", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() },
    ];

    /// <summary>A row as the statement selects its columns, in their order.</summary>
    private static Row Read(DbDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6), r.GetString(7),
        r.GetString(8), r.GetInt32(9), r.GetFieldValue<DateTime>(10), r.Nullable<DateTime>(11), r.Nullable<DateTime>(12), r.Nullable<DateTime>(13),
        r.Nullable<int>(14), r.NullableString(15), r.NullableString(16), r.GetBoolean(17), r.GetBoolean(18), r.GetBoolean(19),
        r.NullableString(20), r.NullableString(21), r.NullableString(22), r.NullableString(23), r.NullableString(24), r.NullableString(25), r.NullableString(26),
        r.NullableString(27), r.Nullable<double>(28), r.Nullable<DateTime>(29), r.NullableString(30), r.Nullable<bool>(31), r.NullableString(32),
        r.Nullable<DateTime>(33), r.Nullable<DateTime>(34), r.Nullable<int>(35), r.Nullable<DateTime>(36), r.Nullable<DateTime>(37),
        r.Nullable<int>(38), r.NullableString(39));

    private static LoadedDelivery Loaded(Row row)
    {
        var delivery = new Delivery
        {
            Id = row.Id, RoutingId = row.RoutingId, EventId = row.EventId, EventType = row.EventType, EndpointId = row.EndpointId,
            UserId = row.UserId, Sequence = row.Sequence, WebhookId = row.WebhookId, Status = Enum.Parse<DeliveryStatus>(row.Status),
            AttemptCount = row.AttemptCount, CreatedAt = UtcTimestamps.FromStore(row.CreatedAt), NextAttemptAt = UtcTimestamps.FromStore(row.NextAttemptAt),
            LeaseUntil = UtcTimestamps.FromStore(row.LeaseUntil), FinalAt = UtcTimestamps.FromStore(row.FinalAt), LastStatusCode = row.LastStatusCode, LastError = row.LastError,
            TraceParent = row.TraceParent, ManualRetry = row.ManualRetry, Test = row.Test,
        };
        var endpoint = row.EndpointKey is null
            ? null
            : new WebhookEndpoint
            {
                Id = row.EndpointKey, Url = row.Url!, Description = row.Description, EventTypes = row.EventTypes!,
                Ordering = Enum.Parse<EndpointOrdering>(row.Ordering!), Secrets = row.Secrets!, Trigger = row.Trigger, Headers = row.Headers,
                RateLimit = row.RateLimit, NextSlotAt = UtcTimestamps.FromStore(row.NextSlotAt), RetrySchedule = row.RetrySchedule, Enabled = row.Enabled!.Value,
                DisabledReason = row.DisabledReason, CreatedAt = UtcTimestamps.FromStore(row.EndpointCreatedAt!.Value), DeletedAt = UtcTimestamps.FromStore(row.DeletedAt),
                ConsecutiveFailures = row.ConsecutiveFailures!.Value, FailingSince = UtcTimestamps.FromStore(row.FailingSince),
                CircuitOpenUntil = UtcTimestamps.FromStore(row.CircuitOpenUntil), Version = row.Version!.Value,
            };
        return new LoadedDelivery(delivery, endpoint, row.Payload, row.Claimed);
    }

    /// <summary>A delivery of the batch, whether this statement claimed it, its endpoint's columns (null when it has none) and its payload.</summary>
    private sealed record Row(
        Guid Id, Guid RoutingId, string EventId, string EventType, string EndpointId, string UserId, long Sequence, string WebhookId,
        string Status, int AttemptCount, DateTime CreatedAt, DateTime? NextAttemptAt, DateTime? LeaseUntil, DateTime? FinalAt,
        int? LastStatusCode, string? LastError, string? TraceParent, bool ManualRetry, bool Test, bool Claimed,
        string? EndpointKey, string? Url, string? Description, string? EventTypes, string? Ordering, string? Secrets, string? Trigger,
        string? Headers, double? RateLimit, DateTime? NextSlotAt, string? RetrySchedule, bool? Enabled, string? DisabledReason,
        DateTime? EndpointCreatedAt, DateTime? DeletedAt, int? ConsecutiveFailures, DateTime? FailingSince, DateTime? CircuitOpenUntil,
        int? Version, string? Payload);
}
