using System.Data.Common;
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
    /// <summary>One event's outcome: <see cref="Refusal"/> is set when the database refused a row of it.</summary>
    internal readonly record struct Outcome(bool Written, DbException? Refusal);

    /// <returns>The number of rows written, as <c>SaveChanges</c> counts them.</returns>
    /// <exception cref="DbUpdateConcurrencyException">The counter moved since the router read it: nothing was written.</exception>
    /// <exception cref="DbUpdateException">The database refused a row: nothing was written.</exception>
    public async Task<int> WriteAsync(PostgresRoutingWrite.Changes changes, CancellationToken cancellationToken)
    {
        var outcome = await EnqueueAsync(changes, cancellationToken);
        return outcome switch
        {
            { Refusal: { } refusal } => throw PostgresRoutingWrite.Refused(changes, refusal),
            { Written: true } => PostgresRoutingWrite.RowsWritten(changes),
            _ => throw PostgresRoutingWrite.Conflict(changes),
        };
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
    internal static List<List<int>> Rounds(IReadOnlyList<PostgresRoutingWrite.Changes> items)
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
        catch (DbException) when (round.Count > 1)
        {
            // One refused row fails the whole statement: each event again on its own, so it fails only its own.
            foreach (var i in round)
            {
                await WriteRoundAsync(db, items, [i], outcomes);
            }
        }
        catch (DbException e)
        {
            outcomes[round[0]] = new Outcome(false, e);
        }
    }
}
