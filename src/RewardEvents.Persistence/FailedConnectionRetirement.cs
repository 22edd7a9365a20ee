using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace RewardEvents.Persistence;

/// <summary>
/// Keeps a PostgreSQL connection on which a command failed from being handed out again. With statements
/// prepared on the server, Npgsql's record of them can go wrong after a statement fails inside a transaction
/// (npgsql/npgsql#6391, open on the 10.0.x we use): the statement's next run on that connection fails with
/// "Received unexpected backend message". Npgsql has no public way to retire one connection, so the pool is
/// cleared: idle connections close now and busy ones, the failed one among them, when they are returned, and
/// the pool opens new ones as needed. Failed statements are rare (a duplicate saga insert, a constraint, a
/// database restart), so the cost is a few reconnections where it happens.
/// </summary>
internal sealed class FailedConnectionRetirement : DbCommandInterceptor
{
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Retire(command);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Retire(command);
        return Task.CompletedTask;
    }

    private static void Retire(DbCommand command)
    {
        if (command.Connection is NpgsqlConnection connection)
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }
}
