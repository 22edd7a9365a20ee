using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>What PostgreSQL's plan for a query really read, from <c>EXPLAIN (ANALYZE, FORMAT JSON)</c>; and SQLite's plan steps.</summary>
public static class QueryPlans
{
    /// <summary>Runs the command (an EF query's own SQL and parameters) under EXPLAIN ANALYZE; the plan's root node.</summary>
    public static async Task<JsonElement> ExplainAnalyzeAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.CommandText = "EXPLAIN (ANALYZE, FORMAT JSON) " + command.CommandText;
        return RootPlan(await command.ExecuteScalarAsync(cancellationToken));
    }

    /// <summary>The plan made for the command's values, or with <paramref name="generic"/> the generic one (<see cref="ExplainAnalyzeGenericAsync"/>).</summary>
    public static Task<JsonElement> ExplainAnalyzeAsync(DbCommand command, bool generic, CancellationToken cancellationToken) =>
        generic ? ExplainAnalyzeGenericAsync(command, cancellationToken) : ExplainAnalyzeAsync(command, cancellationToken);

    /// <summary>
    /// Prepares the command (an EF query, or one of the fleet's statements with <c>@name</c> placeholders, whose
    /// parameters are Guid or string collections, integers, Guids, strings or times) on the server and runs it under EXPLAIN ANALYZE with
    /// <c>plan_cache_mode = force_generic_plan</c>: the plan made without the parameters' values, which PostgreSQL may
    /// choose for a prepared statement after its fifth run. The plan's root node.
    /// </summary>
    public static async Task<JsonElement> ExplainAnalyzeGenericAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var sql = command.CommandText;
        var values = new List<(string Literal, string Type)>();
        // Longest names first, so that @p1 does not replace the start of @p10.
        foreach (var parameter in command.Parameters.Cast<DbParameter>().OrderByDescending(p => p.ParameterName.Length))
        {
            var name = parameter.ParameterName.StartsWith('@') ? parameter.ParameterName : "@" + parameter.ParameterName;
            values.Add(Literal(parameter));
            sql = sql.Replace(name, $"${values.Count}", StringComparison.Ordinal);
        }

        await using var prepare = command.Connection!.CreateCommand();
        prepare.CommandText =
            $"SET plan_cache_mode = force_generic_plan; PREPARE generic_plan_check({string.Join(", ", values.Select(v => v.Type))}) AS {sql}";
        await prepare.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            await using var explain = command.Connection.CreateCommand();
            explain.CommandText = $"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE generic_plan_check({string.Join(", ", values.Select(v => v.Literal))})";
            var plan = RootPlan(await explain.ExecuteScalarAsync(cancellationToken));
            // A generic plan keeps parameters in its conditions; a custom one would show the values.
            return Enumerable.Range(1, values.Count).Any(i => plan.GetRawText().Contains($"${i}", StringComparison.Ordinal))
                ? plan
                : throw new InvalidOperationException($"PostgreSQL did not use a generic plan: {plan}");
        }
        finally
        {
            await using var cleanup = command.Connection.CreateCommand();
            cleanup.CommandText = "DEALLOCATE generic_plan_check; RESET plan_cache_mode";
            await cleanup.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>A parameter's value as an SQL literal (EXPLAIN EXECUTE takes no bind parameters), and its type.</summary>
    private static (string Literal, string Type) Literal(DbParameter parameter) => parameter.Value switch
    {
        IEnumerable<Guid> guids => ($"'{{{string.Join(",", guids)}}}'::uuid[]", "uuid[]"),
        IEnumerable<string> texts => ($"'{{{string.Join(",", texts.Select(ArrayElement))}}}'::text[]", "text[]"),
        int number => (number.ToString(System.Globalization.CultureInfo.InvariantCulture), "integer"),
        Guid id => ($"'{id}'::uuid", "uuid"),
        string text => ($"'{text.Replace("'", "''", StringComparison.Ordinal)}'", "text"),
        DateTime time => ($"'{time.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}'::timestamptz", "timestamptz"),
        _ => throw new NotSupportedException($"parameter {parameter.ParameterName} is not a Guid or string collection, an integer, a Guid, a string or a time"),
    };

    /// <summary>A string as an element of an array literal inside an SQL string literal: double-quoted, escaped for both.</summary>
    private static string ArrayElement(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "\"";

    /// <summary>Runs the command (an EF query's own SQL and parameters) under SQLite's EXPLAIN QUERY PLAN; its steps' text, in order.</summary>
    public static async Task<List<string>> SqliteStepsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var steps = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            steps.Add(reader.GetString(3));
        }

        return steps;
    }

    /// <summary>
    /// Runs <paramref name="run"/> in the transaction open on <paramref name="db"/>'s connection with <c>auto_explain</c>
    /// reporting the plan of every statement, as it ran, in a notice (settings local to the transaction, with
    /// <paramref name="settings"/> after them); the root node of the one plan whose statement holds <paramref name="marker"/>.
    /// For statements EXPLAIN cannot take as they are: one prepared through the protocol, an EF Core bulk update.
    /// </summary>
    public static async Task<JsonElement> AutoExplainAsync(DbContext db, string marker, string settings, Func<Task> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(run);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var notices = new List<string>();
        void OnNotice(object? sender, NpgsqlNoticeEventArgs e) => notices.Add(e.Notice.MessageText);
        // The caller's own settings, written by the test itself.
        var setUp = "LOAD 'auto_explain'; SET LOCAL auto_explain.log_min_duration = 0; SET LOCAL auto_explain.log_analyze = on; " +
            "SET LOCAL auto_explain.log_format = json; SET LOCAL client_min_messages = log; " + settings;
        connection.Notice += OnNotice;
        try
        {
            await db.Database.ExecuteSqlRawAsync(setUp, cancellationToken);
            await run();
        }
        finally
        {
            connection.Notice -= OnNotice;
        }

        return FromAutoExplain(Assert.Single(notices, n => n.Contains(marker, StringComparison.Ordinal)));
    }

    /// <summary>The root node of a plan <c>auto_explain</c> reported (with <c>log_format = json</c>) in a notice's text.</summary>
    public static JsonElement FromAutoExplain(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var json = JsonDocument.Parse(message[message.IndexOf('{', StringComparison.Ordinal)..]);
        return json.RootElement.GetProperty("Plan").Clone();
    }

    /// <summary>The root node of what <c>EXPLAIN (FORMAT JSON)</c> returned.</summary>
    private static JsonElement RootPlan(object? explained)
    {
        using var json = JsonDocument.Parse((string)explained!);
        return json.RootElement[0].GetProperty("Plan").Clone();
    }

    /// <summary>
    /// Rows the plan read from a table and its indexes (kept plus filtered out, over every loop), in the
    /// nodes whose alias passes <paramref name="alias"/>; a bitmap index scan counts under its heap scan's alias.
    /// </summary>
    public static double RowsRead(JsonElement node, string table, Func<string, bool> alias) => RowsRead(node, table, alias, inherited: null);

    private static double RowsRead(JsonElement node, string table, Func<string, bool> alias, string? inherited)
    {
        var own = node.TryGetProperty("Alias", out var a) ? a.GetString() : inherited;
        var onTable = node.TryGetProperty("Relation Name", out var relation)
            ? relation.GetString() == table
            : node.TryGetProperty("Index Name", out var index) && index.GetString() is { } name
                && (name.StartsWith($"IX_{table}_", StringComparison.Ordinal) || name == $"PK_{table}");
        var read = 0.0;
        // An UPDATE's or INSERT's own node writes the rows its children read: counting it would count them twice.
        var writes = node.TryGetProperty("Node Type", out var type) && type.GetString() == "ModifyTable";
        if (onTable && !writes && own is not null && alias(own))
        {
            read += (node.GetProperty("Actual Rows").GetDouble() + Removed(node, "Rows Removed by Filter") + Removed(node, "Rows Removed by Index Recheck"))
                * node.GetProperty("Actual Loops").GetDouble();
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            read += children.EnumerateArray().Sum(child => RowsRead(child, table, alias, own));
        }

        return read;
    }

    private static double Removed(JsonElement node, string name) => node.TryGetProperty(name, out var value) ? value.GetDouble() : 0;
}
