using System.Text;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>
/// Adds counts of attempts to <c>endpoint_minutes</c>: each row's counts added to the row of the same endpoint, minute and
/// bucket, which is created if missing, in one statement per hundred rows (an upsert on PostgreSQL and SQLite, a MERGE on
/// SQL Server). Rows go in key order, so that two workers adding to the same rows lock them in the same order.
/// </summary>
public static class EndpointMinutesWrite
{
    private const int RowsPerStatement = 100;
    private const string Columns = "\"EndpointId\", \"Minute\", \"Bucket\", \"Attempts\", \"Succeeded\", \"MaxDurationMs\"";

    public static async Task AddAsync(RewardEventsDbContext db, IEnumerable<EndpointMinute> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ordered = rows.OrderBy(r => r.EndpointId, StringComparer.Ordinal).ThenBy(r => r.Minute).ThenBy(r => r.Bucket);
        var sqlServer = db.Database.IsSqlServer();
        // All or nothing: a flush that fails is added again whole.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var chunk in ordered.Chunk(RowsPerStatement))
        {
            var values = new StringBuilder();
            var parameters = new List<object>(chunk.Length * 6);
            foreach (var row in chunk)
            {
                var first = parameters.Count;
                values.Append(values.Length == 0 ? "" : ", ")
                    .Append($"({{{first}}}, {{{first + 1}}}, {{{first + 2}}}, {{{first + 3}}}, {{{first + 4}}}, {{{first + 5}}})");
                parameters.AddRange([row.EndpointId, row.Minute, row.Bucket, row.Attempts, row.Succeeded, row.MaxDurationMs]);
            }

            await db.Database.ExecuteSqlRawAsync(sqlServer ? Merge(values.ToString()) : Upsert(values.ToString()), parameters, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static string Upsert(string values) =>
        $"""
        INSERT INTO endpoint_minutes ({Columns}) VALUES {values}
        ON CONFLICT ("EndpointId", "Minute", "Bucket") DO UPDATE SET
            "Attempts" = endpoint_minutes."Attempts" + excluded."Attempts",
            "Succeeded" = endpoint_minutes."Succeeded" + excluded."Succeeded",
            "MaxDurationMs" = CASE WHEN excluded."MaxDurationMs" > endpoint_minutes."MaxDurationMs"
                THEN excluded."MaxDurationMs" ELSE endpoint_minutes."MaxDurationMs" END
        """;

    private static string Merge(string values) =>
        $"""
        MERGE endpoint_minutes WITH (HOLDLOCK) AS t
        USING (VALUES {values}) AS s ([EndpointId], [Minute], [Bucket], [Attempts], [Succeeded], [MaxDurationMs])
        ON t.[EndpointId] = s.[EndpointId] AND t.[Minute] = s.[Minute] AND t.[Bucket] = s.[Bucket]
        WHEN MATCHED THEN UPDATE SET
            [Attempts] = t.[Attempts] + s.[Attempts],
            [Succeeded] = t.[Succeeded] + s.[Succeeded],
            [MaxDurationMs] = CASE WHEN s.[MaxDurationMs] > t.[MaxDurationMs] THEN s.[MaxDurationMs] ELSE t.[MaxDurationMs] END
        WHEN NOT MATCHED THEN INSERT ([EndpointId], [Minute], [Bucket], [Attempts], [Succeeded], [MaxDurationMs])
            VALUES (s.[EndpointId], s.[Minute], s.[Bucket], s.[Attempts], s.[Succeeded], s.[MaxDurationMs]);
        """;
}
