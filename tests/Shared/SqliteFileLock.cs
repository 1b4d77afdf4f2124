using Microsoft.Data.Sqlite;

namespace ApimConsole.Testing;

/// <summary>
/// Another process's hold on a console's SQLite file, from a connection of its own (no pool, no busy wait): a writer
/// that began a transaction (<c>BEGIN IMMEDIATE</c>: the write lock), or a reader in the middle of a read transaction.
/// Held until <see cref="ReleaseAsync"/> (or disposal), so a test decides exactly when the file is free again.
/// </summary>
public sealed class SqliteFileLock : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private bool _released;

    private SqliteFileLock(SqliteConnection connection) => _connection = connection;

    /// <summary>Holds the write lock, as a writer in the middle of its transaction does.</summary>
    public static Task<SqliteFileLock> WriterAsync(string file) => HoldAsync(file, "BEGIN IMMEDIATE;");

    /// <summary>Holds a read transaction on <paramref name="table"/>, as a long page query or report does.</summary>
    public static Task<SqliteFileLock> ReaderAsync(string file, string table) => HoldAsync(file, $"BEGIN; SELECT count(*) FROM \"{table}\";");

    private static async Task<SqliteFileLock> HoldAsync(string file, string sql)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
        return new SqliteFileLock(connection);
    }

    public async Task ReleaseAsync()
    {
        if (_released)
            return;
        _released = true;
        await using (var rollback = _connection.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }
        await _connection.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
