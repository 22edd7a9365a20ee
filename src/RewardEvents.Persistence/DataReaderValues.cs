using System.Data.Common;

namespace RewardEvents.Persistence;

/// <summary>Reading a column that may be NULL, for the rows of a <see cref="PostgresStatement"/>.</summary>
public static class DataReaderValues
{
    public static T? Nullable<T>(this DbDataReader reader, int ordinal)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
    }

    public static string? NullableString(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }
}
