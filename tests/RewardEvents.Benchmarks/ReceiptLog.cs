using System.Collections.Concurrent;

namespace RewardEvents.Benchmarks;

/// <summary>
/// What the receiver got: unique deliveries (endpoint + event), duplicates, rejected signatures, and
/// for each unique delivery its receipt and publish times.
/// </summary>
public sealed class ReceiptLog
{
    private readonly ConcurrentDictionary<(string Endpoint, string EventId), byte> _seen = new();
    private readonly ConcurrentQueue<Receipt> _receipts = new();
    private int _duplicates;
    private int _rejected;
    private int _unique;

    public int Unique => Volatile.Read(ref _unique);

    public int Duplicates => Volatile.Read(ref _duplicates);

    public int Rejected => Volatile.Read(ref _rejected);

    public void Reject() => Interlocked.Increment(ref _rejected);

    public void Accept(string endpoint, string eventId, DateTimeOffset received, DateTimeOffset? published)
    {
        if (!_seen.TryAdd((endpoint, eventId), 0))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _receipts.Enqueue(new Receipt(endpoint, eventId, received, published));
        Interlocked.Increment(ref _unique);
    }

    public IReadOnlyList<Receipt> Snapshot() => _receipts.ToArray();

    /// <summary>Resolves once <paramref name="expected"/> unique deliveries arrived, or the deadline passed.</summary>
    public async Task<bool> WaitForAsync(int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Unique < expected)
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }
}

/// <summary>One unique delivery as the receiver saw it: which endpoint, which event, when, and when it was published.</summary>
public readonly record struct Receipt(string Endpoint, string EventId, DateTimeOffset Received, DateTimeOffset? Published)
{
    /// <summary>Publish to receipt; NaN where the body carried no publish time.</summary>
    public double LatencyMs => Published is { } published ? (Received - published).TotalMilliseconds : double.NaN;
}
