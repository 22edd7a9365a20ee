namespace RewardEvents.Persistence;

/// <summary>
/// How every timestamp is stored and read: as UTC. The model's value converter applies it to every
/// <see cref="DateTime"/> property; SQL written by hand for a provider applies it to its parameters and columns.
/// </summary>
public static class UtcTimestamps
{
    /// <summary>A time as stored: converted to UTC unless it already is.</summary>
    public static DateTime ToStore(DateTime value) => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime();

    /// <inheritdoc cref="ToStore(DateTime)"/>
    public static DateTime? ToStore(DateTime? value) => value is { } v ? ToStore(v) : null;

    /// <summary>A time as read: UTC, whatever kind the provider reported (SQLite and SQL Server forget it).</summary>
    public static DateTime FromStore(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    /// <inheritdoc cref="FromStore(DateTime)"/>
    public static DateTime? FromStore(DateTime? value) => value is { } v ? FromStore(v) : null;
}
