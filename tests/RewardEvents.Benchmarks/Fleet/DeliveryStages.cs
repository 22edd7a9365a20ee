using Npgsql;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// Where a run's deliveries spent their time, from the fleet's own records joined to the receiver's:
/// <list type="bullet">
/// <item><c>route</c>: publish → the delivery row's <c>CreatedAt</c>, stamped by the router as it routes the event (the
/// broker hop to the router, its queue, its read);</item>
/// <item><c>dispatch</c>: that → the first attempt's <c>StartedAt</c> (the router's write and its batch message, the
/// broker hop to a worker, the worker's claim, and any wait for the same user's earlier delivery to the endpoint);</item>
/// <item><c>http</c>: that → the receipt (signing, the POST, the receiver).</item>
/// </list>
/// Every timestamp comes from the same machine's clock. For the deliveries later than <see cref="LateMs"/> it says which
/// stage was the longest, and how many were routed while the user's previous delivery to the same endpoint was still
/// open (under per-user order, such a delivery waits for it).
/// </summary>
public sealed record DeliveryStages(
    int Matched,
    IReadOnlyDictionary<string, LatencyStats> All,
    int Late,
    IReadOnlyDictionary<string, LatencyStats> LateStages,
    IReadOnlyDictionary<string, int> LateLongest,
    int PredecessorOpen,
    int LatePredecessorOpen)
{
    public const double LateMs = 100;

    private const string Query = """
        SELECT d."EventId", d."EndpointId", d."UserId", d."Sequence", d."CreatedAt", d."FinalAt",
               (SELECT a."StartedAt" FROM attempts AS a WHERE a."DeliveryId" = d."Id" AND a."Number" = 1) AS "Started"
        FROM deliveries AS d
        WHERE NOT d."Test"
        """;

    /// <param name="endpointNames">The receiver's name of each endpoint, by the fleet's endpoint id.</param>
    public static async Task<DeliveryStages> ReadAsync(
        string connectionString, IReadOnlyDictionary<string, string> endpointNames, IReadOnlyList<Receipt> receipts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpointNames);
        ArgumentNullException.ThrowIfNull(receipts);
        var rows = new List<Row>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(Query, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new Row(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), Utc(reader.GetDateTime(4)),
                    reader.IsDBNull(5) ? null : Utc(reader.GetDateTime(5)),
                    reader.IsDBNull(6) ? null : Utc(reader.GetDateTime(6))));
            }
        }

        return Of(rows, endpointNames, receipts);
    }

    /// <summary>The breakdown of <paramref name="receipts"/>, given every delivery row of the run's database.</summary>
    public static DeliveryStages Of(IReadOnlyList<Row> rows, IReadOnlyDictionary<string, string> endpointNames, IReadOnlyList<Receipt> receipts)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(endpointNames);
        ArgumentNullException.ThrowIfNull(receipts);

        // Each row's predecessor: the same user's previous delivery to the same endpoint.
        var predecessorFinal = new Dictionary<(string Endpoint, string EventId), DateTimeOffset>();
        foreach (var stream in rows.GroupBy(r => (r.EndpointId, r.UserId)))
        {
            Row? previous = null;
            foreach (var row in stream.OrderBy(r => r.Sequence))
            {
                if (previous is not null && endpointNames.TryGetValue(row.EndpointId, out var name))
                {
                    predecessorFinal[(name, row.EventId)] = previous.FinalAt ?? DateTimeOffset.MaxValue;
                }

                previous = row;
            }
        }

        var byKey = rows
            .Where(r => endpointNames.ContainsKey(r.EndpointId))
            .ToDictionary(r => (endpointNames[r.EndpointId], r.EventId));
        var all = new List<(double Route, double Dispatch, double Http, bool PredecessorOpen, double Latency)>();
        foreach (var receipt in receipts)
        {
            if (receipt.Published is not { } published || !byKey.TryGetValue((receipt.Endpoint, receipt.EventId), out var row) || row.Started is not { } started)
            {
                continue;
            }

            var open = predecessorFinal.TryGetValue((receipt.Endpoint, receipt.EventId), out var final) && final > row.CreatedAt;
            all.Add((
                (row.CreatedAt - published).TotalMilliseconds,
                (started - row.CreatedAt).TotalMilliseconds,
                (receipt.Received - started).TotalMilliseconds,
                open,
                receipt.LatencyMs));
        }

        var late = all.Where(d => d.Latency > LateMs).ToList();
        return new DeliveryStages(
            all.Count,
            Stages(all),
            late.Count,
            Stages(late),
            late.GroupBy(d => d.Route >= d.Dispatch && d.Route >= d.Http ? "route" : d.Dispatch >= d.Http ? "dispatch" : "http")
                .ToDictionary(g => g.Key, g => g.Count()),
            all.Count(d => d.PredecessorOpen),
            late.Count(d => d.PredecessorOpen));

        static IReadOnlyDictionary<string, LatencyStats> Stages(IReadOnlyList<(double Route, double Dispatch, double Http, bool PredecessorOpen, double Latency)> set) =>
            new Dictionary<string, LatencyStats>
            {
                ["route"] = LatencyStats.Of(set.Select(d => d.Route)),
                ["dispatch"] = LatencyStats.Of(set.Select(d => d.Dispatch)),
                ["http"] = LatencyStats.Of(set.Select(d => d.Http)),
            };
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>One delivery row: when the router made it, when it became final, when its first attempt started.</summary>
    public sealed record Row(string EventId, string EndpointId, string UserId, long Sequence, DateTimeOffset CreatedAt, DateTimeOffset? FinalAt, DateTimeOffset? Started);
}
