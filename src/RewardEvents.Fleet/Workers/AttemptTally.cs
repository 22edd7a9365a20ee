using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// A worker's count of the attempts it has put on record, per endpoint, minute and latency bucket, added to
/// <c>endpoint_minutes</c> every <see cref="DeliveryOptions.StatsFlushInterval"/> and when the worker stops. An endpoint's
/// stats read those rows, a few per minute of the window, instead of every attempt the endpoint had. A count that fails to
/// go in is kept for the next flush; a worker killed outright loses what it had not flushed yet (the attempts themselves
/// are on record). Rows older than the longest stats window are deleted as they age out.
/// </summary>
internal sealed partial class AttemptTally(
    IServiceScopeFactory scopes,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<AttemptTally> logger) : BackgroundService
{
    /// <summary>Minutes are kept this long: the longest window the stats take, and a day.</summary>
    internal static readonly TimeSpan Kept = TimeSpan.FromDays(8);

    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);
    private readonly Lock _gate = new();
    private Dictionary<(string EndpointId, DateTime Minute, int Bucket), EndpointMinute> _counts = [];
    private DateTime _prunedAt = DateTime.MinValue;

    /// <summary>Counts an attempt to <paramref name="endpointId"/> once it is on record. Short-circuited attempts (never sent) are not counted.</summary>
    public void Record(string endpointId, Attempt attempt) =>
        Record(endpointId, attempt.StartedAt, attempt.DurationMs, attempt.Succeeded);

    /// <summary>Counts an attempt once it is on record.</summary>
    public void Record(string endpointId, DateTime startedAt, int durationMs, bool succeeded)
    {
        (string EndpointId, DateTime Minute, int Bucket) key = (endpointId, EndpointMinute.MinuteOf(startedAt), LatencyBuckets.Of(durationMs));
        lock (_gate)
        {
            if (!_counts.TryGetValue(key, out var row))
            {
                row = new EndpointMinute { EndpointId = key.EndpointId, Minute = key.Minute, Bucket = key.Bucket };
                _counts[key] = row;
            }

            row.Add(1, succeeded ? 1 : 0, durationMs);
        }
    }

    /// <summary>Adds what was counted since the last flush to the database; on failure keeps it for the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Dictionary<(string, DateTime, int), EndpointMinute> taken;
        lock (_gate)
        {
            if (_counts.Count == 0)
            {
                return;
            }

            taken = _counts;
            _counts = [];
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await EndpointMinutesWrite.AddAsync(db, taken.Values, cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                foreach (var (key, row) in taken)
                {
                    if (_counts.TryGetValue(key, out var since))
                    {
                        row.Add(since.Attempts, since.Succeeded, since.MaxDurationMs);
                    }

                    _counts[key] = row;
                }
            }

            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.Value.StatsFlushInterval, time, stoppingToken);
                await FlushOrLogAsync(stoppingToken);
                await PruneOrLogAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The last counts, after the consumers have finished (this service stops after the bus). A stop that has run out
        // of time, or a database that is gone, costs these counts only, never the host's orderly stop.
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            LogLastFlushFailed(ex);
        }
    }

    private async Task FlushOrLogAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The database may be restarting: the counts are kept and go with the next flush.
            LogFlushFailed(ex);
        }
    }

    private async Task PruneOrLogAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now - _prunedAt < PruneEvery)
        {
            return;
        }

        _prunedAt = now;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await PruneAsync(db, now, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPruneFailed(ex);
        }
    }

    /// <summary>Deletes the minutes older than <see cref="Kept"/>; how many rows went.</summary>
    internal static Task<int> PruneAsync(RewardEventsDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        var cutoff = now - Kept;
        return db.EndpointMinutes.Where(m => m.Minute < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adding attempt counts to endpoint_minutes failed; they are kept for the next flush")]
    private partial void LogFlushFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adding the last attempt counts to endpoint_minutes at stop failed; endpoint stats will miss them (the attempts are on record)")]
    private partial void LogLastFlushFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old rows of endpoint_minutes failed; retrying later")]
    private partial void LogPruneFailed(Exception exception);
}
