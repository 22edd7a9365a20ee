using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace RewardEvents.Persistence;

/// <summary>
/// The one comparison a listing's cursor needs that LINQ has no operator for: whether a row's Guid comes after the
/// cursor's in the order the database sorts Guids by. Each database has its own (PostgreSQL's bytes, SQLite's text,
/// SQL Server's uniqueidentifier order) and none is .NET's, so the comparison is made in SQL, where the listing's
/// <c>ORDER BY</c> is made too, and a page starts exactly after the row the previous one ended on.
/// </summary>
public static class KeysetOrder
{
    /// <summary>In a query only: <paramref name="value"/> sorts after <paramref name="cursor"/> in the database.</summary>
    public static bool After(Guid value, Guid cursor) =>
        throw new InvalidOperationException($"{nameof(KeysetOrder)}.{nameof(After)} is translated to SQL; it cannot run in .NET.");

    internal static void Configure(ModelBuilder modelBuilder) =>
        modelBuilder.HasDbFunction(typeof(KeysetOrder).GetMethod(nameof(After), [typeof(Guid), typeof(Guid)])!)
            .HasTranslation(args => new SqlBinaryExpression(ExpressionType.GreaterThan, args[0], args[1], typeof(bool), null));
}
