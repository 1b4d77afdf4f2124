using Microsoft.Data.Sqlite;

namespace ApimConsole.Testing;

/// <summary>A console host's temporary data folder (its SQLite store), removed once the console has stopped.</summary>
public static class ConsoleDataFolder
{
    public static string Create(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Closes pooled SQLite connections (they hold the file) and deletes the folder; a file still in use leaves it behind.</summary>
    public static void Remove(string folder)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
