using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ApimConsole.Testing;

/// <summary>
/// Watches the console's commands and keeps the text of each one SQLite refused as busy or locked (error 5 or 6): the
/// signal that a write has waited out one attempt's busy timeout, for a test to act on without a fixed wait.
/// </summary>
public sealed class LockedCommands : DbCommandInterceptor
{
    private readonly ConcurrentQueue<string> _refused = new();

    public IReadOnlyList<string> Refused => [.. _refused];

    /// <summary>How many refused commands contained <paramref name="fragment"/>.</summary>
    public int Count(string fragment) => _refused.Count(text => text.Contains(fragment, StringComparison.Ordinal));

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Note(command, eventData.Exception);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Note(command, eventData.Exception);
        return Task.CompletedTask;
    }

    private void Note(DbCommand command, Exception exception)
    {
        if (exception is SqliteException { SqliteErrorCode: 5 or 6 })
            _refused.Enqueue(command.CommandText);
    }
}
