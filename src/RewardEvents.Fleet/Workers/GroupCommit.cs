using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Runs the same database work for many concurrent deliveries as one batch: callers queue their item
/// and wait; one loop takes whatever has gathered (up to <see cref="MaxBatch"/>) and runs it with a
/// few round trips in all instead of a few per item. Under load batches grow by themselves; alone, an
/// item waits for nobody. A caller's task completes only when its batch has, so a message is
/// acknowledged only after its writes are durable; if the batch fails, every caller gets the error
/// (and its message retry takes over, as for a write of its own).
/// Registered ahead of the bus so it stops after it: consumers still finishing can wait on it.
/// </summary>
internal abstract partial class GroupCommit<TItem, TResult>(ILogger logger) : BackgroundService
{
    internal const int MaxBatch = 256;

    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });

    protected async Task<TResult> EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var entry = new Entry(item);
        if (!_queue.Writer.TryWrite(entry))
        {
            throw new InvalidOperationException($"{GetType().Name} has stopped (the worker is shutting down).");
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
            catch (Exception ex)
            {
                LogBatchFailed(GetType().Name, batch.Count, ex);
                foreach (var entry in batch)
                {
                    entry.Done.TrySetException(ex);
                }
            }

            batch.Clear();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batcher}: a batch of {Count} failed; their messages are retried")]
    private partial void LogBatchFailed(string batcher, int count, Exception exception);
}
