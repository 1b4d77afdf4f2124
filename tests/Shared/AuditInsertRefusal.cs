using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ApimConsole.Testing;

/// <summary>
/// A store that takes every write but the audit trail's: while <see cref="Failing"/>, any command inserting into
/// <c>AuditEntries</c> fails as SQLite fails on a full disk (SQLITE_FULL, 13). The change it records is written first
/// (or in the same command batch), so a writer that is not one transaction leaves it behind.
/// </summary>
public sealed class AuditInsertRefusal : DbCommandInterceptor
{
    private int _refused;
    public volatile bool Failing;

    public int Refused => Volatile.Read(ref _refused);

    private void Check(DbCommand command)
    {
        if (Failing && command.CommandText.Contains("INSERT INTO \"AuditEntries\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _refused);
            throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
        }
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
