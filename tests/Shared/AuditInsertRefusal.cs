namespace ApimConsole.Testing;

/// <summary>
/// A store that takes every write but the audit trail's: while <see cref="WriteRefusal.Failing"/>, any command inserting
/// into <c>AuditEntries</c> fails as SQLite fails on a full disk. The change it records is written first (or in the same
/// command batch), so a writer that is not one transaction leaves it behind.
/// </summary>
public sealed class AuditInsertRefusal : WriteRefusal
{
    private int _refused;

    /// <summary>How many audit inserts were refused.</summary>
    public int RefusedCount => Volatile.Read(ref _refused);

    protected override bool Refuses(string commandText) => commandText.Contains("INSERT INTO \"AuditEntries\"", StringComparison.Ordinal);

    protected override void OnRefused(string commandText) => Interlocked.Increment(ref _refused);
}
