using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>
/// "Disk full", simulated honestly: while <see cref="Failing"/>, every write command the console sends its SQLite
/// store fails with the error SQLite gives for a full disk (SQLITE_FULL, 13); reads still work.
/// </summary>
public sealed class DiskFullSwitch : DbCommandInterceptor
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _refused = new();
    public volatile bool Failing;

    /// <summary>How many refused write commands started with <paramref name="prefix"/> (e.g. <c>INSERT INTO "Deployments"</c>).</summary>
    public int Refused(string prefix) => _refused.Count(t => t.StartsWith(prefix, StringComparison.Ordinal));

    private void Check(DbCommand command)
    {
        if (!Failing)
            return;
        var text = command.CommandText.TrimStart();
        if (text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase))
        {
            _refused.Enqueue(text);
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
