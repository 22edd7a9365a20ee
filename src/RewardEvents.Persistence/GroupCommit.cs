using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RewardEvents.Persistence;

/// <summary>
/// Runs the same database work for many concurrent callers (deliveries in the worker, events in the router) as one
/// batch: callers queue their item and wait; one loop takes whatever has gathered (up to <see cref="MaxBatch"/>) and
/// runs it with a few round trips in all instead of a few per item. Under load batches grow by themselves; alone, an
/// item waits for nobody. A caller's task completes only when its batch has, so a message is acknowledged only after
/// its writes are durable. A batch that fails is run again item by item, so one bad item fails only its own caller
/// (whose message retry takes over, as for a write of its own). Registered ahead of the bus so it stops after it:
/// consumers still finishing can wait on it. Used by the worker (its claims and its "delivered" writes) and by the
/// router (each new event's first read and its routing's write, on PostgreSQL).
/// </summary>
public abstract partial class GroupCommit<TItem, TResult>(ILogger logger) : BackgroundService
{
    public const int MaxBatch = 256;

    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });

    protected async Task<TResult> EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var entry = new Entry(item);
        if (!_queue.Writer.TryWrite(entry))
        {
            throw new InvalidOperationException($"{GetType().Name} has stopped (the host is shutting down).");
        }

        return await entry.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The batch's work; one result per item, in order.</summary>
    protected abstract Task<IReadOnlyList<TResult>> RunAsync(IReadOnlyList<TItem> items);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Entry>(MaxBatch);
        // Runs until StopAsync completes the queue; what is queued by then is still run (its callers wait for it).
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            try
            {
                var results = await RunAsync(batch.ConvertAll(e => e.Item));
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad item must not fail its neighbours: run each alone. (When the database is away,
                // each fails fast in turn.)
                LogBatchFailed(GetType().Name, batch.Count, ex);
                foreach (var entry in batch)
                {
                    await RunAloneAsync(entry);
                }
            }
            catch (Exception ex)
            {
                LogItemFailed(GetType().Name, ex);
                batch[0].Done.TrySetException(ex);
            }

            batch.Clear();
        }
    }

    private async Task RunAloneAsync(Entry entry)
    {
        try
        {
            entry.Done.TrySetResult((await RunAsync([entry.Item]))[0]);
        }
        catch (Exception ex)
        {
            LogItemFailed(GetType().Name, ex);
            entry.Done.TrySetException(ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private sealed record Entry(TItem Item)
    {
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batcher}: a batch of {Count} failed; running its items one by one")]
    private partial void LogBatchFailed(string batcher, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batcher}: an item failed; its message is retried")]
    private partial void LogItemFailed(string batcher, Exception exception);
}
