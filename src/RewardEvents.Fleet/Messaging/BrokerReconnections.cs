namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// The times the host's own probe connection to the broker was lost and then opened again, and when the last loss
/// was seen. A broker restart closes every connection, so this moves after one (and after a network break); the
/// messages the broker held only in memory may then be gone.
/// </summary>
public sealed class BrokerReconnections
{
    private readonly Lock _lock = new();
    private (int Count, DateTime LostAt) _last;

    /// <summary>How many reconnections so far, and when the last lost connection was noticed (UTC).</summary>
    public (int Count, DateTime LostAt) Last
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    internal void Record(DateTime lostAt)
    {
        lock (_lock)
        {
            _last = (_last.Count + 1, lostAt);
        }
    }
}
