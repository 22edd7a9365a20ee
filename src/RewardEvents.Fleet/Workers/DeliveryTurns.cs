namespace RewardEvents.Fleet.Workers;

/// <summary>
/// One delivery at a time per (endpoint, user) pair inside this process, in arrival order; different
/// pairs never wait for each other. Without it, two of a user's deliveries to one endpoint would both
/// reach the database's ordering guard, and the later one would be parked and released again: the guard
/// stays the final word (across processes), this only saves that round. A turn exists while somebody
/// holds or waits for it, so the table holds only the pairs in flight.
/// </summary>
internal sealed class DeliveryTurns
{
    private readonly Dictionary<(string EndpointId, string UserId), Turn> _turns = [];

    public async Task<IDisposable> TakeAsync(string endpointId, string userId, CancellationToken cancellationToken)
    {
        var key = (endpointId, userId);
        Turn? turn;
        lock (_turns)
        {
            if (!_turns.TryGetValue(key, out turn))
            {
                turn = new Turn(key);
                _turns.Add(key, turn);
            }

            turn.Holders++;
        }

        try
        {
            await turn.Gate.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(turn);
            throw;
        }

        return new Release(this, turn);
    }

    /// <summary>How many pairs are held or waited for (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_turns)
            {
                return _turns.Count;
            }
        }
    }

    private void Leave(Turn turn)
    {
        lock (_turns)
        {
            if (--turn.Holders == 0)
            {
                _turns.Remove(turn.Key);
            }
        }
    }

    private sealed class Turn((string, string) key)
    {
        public (string, string) Key { get; } = key;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Those holding or waiting; guarded by the owner's table.</summary>
        public int Holders { get; set; }
    }

    /// <summary>A held turn; disposing it (once, however often it is called) lets the next waiter go.</summary>
    private sealed class Release(DeliveryTurns owner, Turn turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Gate.Release();
                owner.Leave(turn);
            }
        }
    }
}
