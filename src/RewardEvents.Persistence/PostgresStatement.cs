using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace RewardEvents.Persistence;

/// <summary>
/// A fixed PostgreSQL statement on the fleet's hot paths, run through EF Core's command pipeline (its connection
/// and transaction handling, command interceptors and logging) without going through a LINQ query each time.
/// <c>SqlQueryRaw(…).ToListAsync()</c> is a LINQ query over raw SQL: every run computes the query's cache key,
/// rebuilds the SQL text with its parameters, and leaves Npgsql to parse it again to rewrite the named placeholders.
/// Here that is done once: the statement is written with <c>@name</c> placeholders for reading, turned into
/// PostgreSQL's positional ones (<c>$1</c>, in the order the names first appear) when it is constructed; each run wraps
/// that text in an EF Core command of its own (EF Core's command objects keep per-run state and are not to be shared
/// between concurrent runs), adds its parameters and reads the rows.
/// </summary>
public sealed partial class PostgresStatement
{
    private readonly string[] _names;
    private readonly PositionalParameter[] _parameters;

    /// <param name="sql">The statement, with <c>@name</c> placeholders (lower-case letters, digits and underscores).</param>
    public PostgresStatement(string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var names = new List<string>();
        CommandText = Placeholder().Replace(sql, m =>
        {
            var index = names.IndexOf(m.Groups[1].Value);
            if (index < 0)
            {
                names.Add(m.Groups[1].Value);
                index = names.Count - 1;
            }

            return "$" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        Sql = sql;
        _names = [.. names];
        _parameters = [.. names.Select(n => new PositionalParameter(n))];
    }

    /// <summary>The statement as written, with its named placeholders.</summary>
    public string Sql { get; }

    /// <summary>The statement as sent, with positional placeholders.</summary>
    public string CommandText { get; }

    /// <summary>The placeholders' names, in the order of their positions.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>
    /// Runs the statement on the context's connection (and its transaction, if one is open) and reads every row.
    /// </summary>
    /// <param name="parameters">One per placeholder, named as it is and in <see cref="ParameterNames"/>' order. They are
    /// sent by position, so their names are cleared: pass parameters made for this one run.</param>
    /// <exception cref="ArgumentException">The parameters do not match the placeholders.</exception>
    public async Task<List<T>> QueryAsync<T>(
        DbContext db, IReadOnlyList<NpgsqlParameter> parameters, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(read);
        if (parameters.Count != _names.Length)
        {
            throw new ArgumentException($"The statement has {_names.Length} placeholders; {parameters.Count} parameters were given.", nameof(parameters));
        }

        var values = new Dictionary<string, object?>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++)
        {
            var parameter = parameters[i];
            if (!string.Equals(parameter.ParameterName, _names[i], StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"Parameter {i + 1} is '{parameter.ParameterName}'; the statement's placeholder there is '{_names[i]}'.", nameof(parameters));
            }

            values[_names[i]] = parameter;
        }

        foreach (var parameter in parameters)
        {
            parameter.ParameterName = string.Empty; // positional: Npgsql sends the text as it is, without parsing it
        }

        var command = new RelationalCommand(db.GetService<RelationalCommandBuilderDependencies>(), CommandText, CommandText, _parameters);
        var parameterObject = new RelationalCommandParameterObject(
            db.GetService<IRelationalConnection>(), values, null, db, db.GetService<IRelationalCommandDiagnosticsLogger>(), CommandSource.FromSqlQuery);
        await using var reader = await command.ExecuteReaderAsync(parameterObject, cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader.DbDataReader));
        }

        return rows;
    }

    [GeneratedRegex("@([a-z][a-z0-9_]*)")]
    private static partial Regex Placeholder();

    /// <summary>Adds the run's parameter for its placeholder, as given.</summary>
    private sealed class PositionalParameter(string name) : IRelationalParameter
    {
        public string InvariantName { get; } = name;

        public void AddDbParameter(DbCommand command, object? value) =>
            command.Parameters.Add(value as NpgsqlParameter ?? throw new InvalidOperationException($"No parameter was given for @{InvariantName}."));

        public void AddDbParameter(DbCommand command, IReadOnlyDictionary<string, object?>? parameterValues) =>
            AddDbParameter(command, parameterValues?.GetValueOrDefault(InvariantName));
    }
}
