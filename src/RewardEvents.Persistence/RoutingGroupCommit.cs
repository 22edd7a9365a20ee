using System.Data.Common;
using System.Runtime.ExceptionServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RewardEvents.Persistence;

/// <summary>
/// The router's writes of new events on PostgreSQL as a group commit: the events it routes at once are written by
/// one statement (<see cref="PostgresRoutingWrite"/>), one round trip and one commit for the lot instead of one each.
/// Each event keeps its own outcome: written, a conflict (its user's counter moved; nothing of it written), or
/// refused. Events of one user go in separate statements, in the order they came. A statement that the database
/// refuses is run again event by event, so a refused row fails only its own event. Each caller's task completes
/// when its event's statement has committed. Registered by the router (<see cref="PersistenceServiceCollectionExtensions.AddRoutingGroupCommit"/>);
/// a context writes through it when there is one and no transaction of its own is open.
/// </summary>
internal sealed class RoutingGroupCommit(IServiceScopeFactory scopes, ILogger<RoutingGroupCommit> logger)
    : GroupCommit<PostgresRoutingWrite.Changes, RoutingGroupCommit.Outcome>(logger)
{
    /// <summary>One event's outcome: <see cref="Failure"/> is set when its statement failed (a row refused, the database away).</summary>
    internal readonly record struct Outcome(bool Written, Exception? Failure);

    /// <returns>The number of rows written, as <c>SaveChanges</c> counts them.</returns>
    /// <exception cref="DbUpdateConcurrencyException">The counter moved since the router read it: nothing was written.</exception>
    /// <exception cref="DbUpdateException">The database refused a row: nothing was written.</exception>
    public async Task<int> WriteAsync(PostgresRoutingWrite.Changes changes, CancellationToken cancellationToken)
    {
        var outcome = await EnqueueAsync(changes, cancellationToken);
        switch (outcome)
        {
            case { Failure: DbException refusal }:
                throw PostgresRoutingWrite.Refused(changes, refusal);
            case { Failure: { } failure }:
                ExceptionDispatchInfo.Throw(failure); // as it would have reached a write of its own
                throw failure;
            case { Written: true }:
                return PostgresRoutingWrite.RowsWritten(changes);
            default:
                throw PostgresRoutingWrite.Conflict(changes);
        }
    }

    protected override async Task<IReadOnlyList<Outcome>> RunAsync(IReadOnlyList<PostgresRoutingWrite.Changes> items)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var outcomes = new Outcome[items.Count];
        foreach (var round in Rounds(items))
        {
            await WriteRoundAsync(db, items, round, outcomes);
        }

        return outcomes;
    }

    /// <summary>The items' indexes in rounds of different users, each user's items in arrival order across the rounds.</summary>
    private static List<List<int>> Rounds(IReadOnlyList<PostgresRoutingWrite.Changes> items)
    {
        var rounds = new List<List<int>>();
        var roundOfUser = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var user = items[i].Counter.UserId;
            var round = roundOfUser.TryGetValue(user, out var last) ? last + 1 : 0;
            roundOfUser[user] = round;
            if (round == rounds.Count)
            {
                rounds.Add([]);
            }

            rounds[round].Add(i);
        }

        return rounds;
    }

    private static async Task WriteRoundAsync(
        RewardEventsDbContext db, IReadOnlyList<PostgresRoutingWrite.Changes> items, List<int> round, Outcome[] outcomes)
    {
        try
        {
            var written = await PostgresRoutingWrite.TryWriteAsync(db, round.ConvertAll(i => items[i]), CancellationToken.None);
            for (var j = 0; j < round.Count; j++)
            {
                outcomes[round[j]] = new Outcome(written[j], null);
            }
        }
        catch (Exception) when (round.Count > 1)
        {
            // One refused row fails the whole statement: each event again on its own, so it fails only its own.
            // (Every failure is kept here, per event, rather than left to the base class to run the batch again
            // item by item: an earlier round of this batch may have committed already.)
            foreach (var i in round)
            {
                await WriteRoundAsync(db, items, [i], outcomes);
            }
        }
        catch (Exception e)
        {
            outcomes[round[0]] = new Outcome(false, e);
        }
    }
}
