using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ApimConsole.Storage.Providers;

/// <summary>
/// Sets SQLite's own busy handler (<c>PRAGMA busy_timeout</c>) on every connection the console opens to its file.
/// Microsoft.Data.Sqlite waits out a locked file by itself only between whole statements, 150 ms apart: under load a
/// waiting writer loses the lock to others again and again until its time is up. SQLite's handler retries inside the
/// statement within milliseconds of the lock going. Both stop at <c>Storage:BusyTimeout</c> (in whole seconds, as
/// the connection's <c>Default Timeout</c>), so one attempt still ends within the setting.
/// </summary>
internal sealed class SqliteBusyTimeout(int seconds) : DbConnectionInterceptor
{
    private readonly string _pragma = $"PRAGMA busy_timeout = {seconds * 1000};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
