namespace ApimConsole.Storage;

/// <summary>
/// Where the console's store is, described without secrets so that a start-up failure can say which store failed.
/// </summary>
/// <param name="Provider">Sqlite or SqlServer.</param>
/// <param name="Description">The SQLite file, or the SQL Server data source and database.</param>
/// <param name="SqliteDirectory">The folder to create before a SQLite file can be opened; null for SQL Server.</param>
public sealed record ConsoleStoreLocation(string Provider, string Description, string? SqliteDirectory)
{
    /// <summary>The SQLite file; null for SQL Server.</summary>
    public string? SqliteFile { get; init; }
}
