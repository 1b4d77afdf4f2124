using ApimConsole.Testing;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>
/// "Disk full", simulated honestly: while <see cref="Failing"/>, every write command the console sends its SQLite
/// store fails with the error SQLite gives for a full disk (SQLITE_FULL, 13); reads still work.
/// </summary>
public sealed class DiskFullSwitch : WriteRefusal
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _refused = new();

    /// <summary>How many refused write commands started with <paramref name="prefix"/> (e.g. <c>INSERT INTO "Deployments"</c>).</summary>
    public int Refused(string prefix) => _refused.Count(t => t.StartsWith(prefix, StringComparison.Ordinal));

    protected override bool Refuses(string commandText)
    {
        var text = commandText.TrimStart();
        return text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase);
    }

    protected override void OnRefused(string commandText) => _refused.Enqueue(commandText.TrimStart());
}
