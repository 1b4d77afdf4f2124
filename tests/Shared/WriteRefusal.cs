using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ApimConsole.Testing;

/// <summary>
/// A store that refuses some writes the way SQLite refuses them on a full disk (SQLITE_FULL, 13), while
/// <see cref="Failing"/>: which ones is the subclass's <see cref="Refuses"/>. Reads and other writes go through.
/// </summary>
public abstract class WriteRefusal : DbCommandInterceptor
{
    public volatile bool Failing;

    /// <summary>Whether the command with this text is refused while failing.</summary>
    protected abstract bool Refuses(string commandText);

    /// <summary>Called with each refused command's text, before the error is thrown.</summary>
    protected abstract void OnRefused(string commandText);

    private void Check(DbCommand command)
    {
        if (!Failing || !Refuses(command.CommandText))
            return;
        OnRefused(command.CommandText);
        throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }
}
