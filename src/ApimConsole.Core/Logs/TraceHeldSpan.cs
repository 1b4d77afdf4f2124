namespace ApimConsole.Core.Logs;

/// <summary>What limits how far back a datacenter's live tail reaches.</summary>
public enum TraceHeldLimit
{
    /// <summary>Nothing: the tail read every line the files had when it started, and the buffer dropped none.</summary>
    None,

    /// <summary>The tail began reading the files after their start (backfill from the end, older rolled files).</summary>
    TailStart,

    /// <summary>The buffer was full: older lines of the datacenter left it for newer ones.</summary>
    Capacity,
}

/// <summary>
/// How far back the shared <see cref="TraceLogBuffer"/> holds one datacenter's lines, exactly: it holds every line the
/// datacenter's files had at or after <see cref="CompleteFrom"/> (the datacenter's local time, as the lines are
/// written) that the tail has read so far.
/// </summary>
/// <param name="ReadFrom">
/// The latest of the times each instance's tail began at, when it began after older lines (the first line it read, or
/// where the file ended when it read none); null when every instance's tail began at the start of its files.
/// </param>
/// <param name="LastEvicted">The latest time of a line of this datacenter the buffer dropped when it was full; null when it dropped none.</param>
/// <param name="Evicted">Lines of this datacenter the buffer dropped when it was full.</param>
/// <param name="Capacity">The buffer's capacity (all datacenters together).</param>
public sealed record TraceHeldSpan(string DatacenterId, DateTime? ReadFrom, DateTime? LastEvicted, long Evicted, int Capacity)
{
    /// <summary>
    /// From when every line is held: the later of <see cref="ReadFrom"/> and just after <see cref="LastEvicted"/>;
    /// null when nothing was left out (<see cref="Limit"/> is <see cref="TraceHeldLimit.None"/>).
    /// </summary>
    /// <remarks>
    /// Not simply the oldest line held: instances are read apart, so one instance's older lines may still be held while
    /// another's of the same minute were already dropped (or never read). Every instance is complete after this time.
    /// </remarks>
    public DateTime? CompleteFrom => Limit switch
    {
        TraceHeldLimit.Capacity => LastEvicted!.Value.AddTicks(1),
        TraceHeldLimit.TailStart => ReadFrom,
        _ => null,
    };

    /// <summary>What <see cref="CompleteFrom"/> comes from: the later of the two limits.</summary>
    public TraceHeldLimit Limit =>
        LastEvicted is { } evicted && (ReadFrom is not { } read || evicted >= read) ? TraceHeldLimit.Capacity
        : ReadFrom is not null ? TraceHeldLimit.TailStart
        : TraceHeldLimit.None;

    /// <summary>Whether the buffer may lack lines of this datacenter at <paramref name="time"/> (its local time).</summary>
    public bool MayLackLinesAt(DateTime time) => CompleteFrom is { } from && time < from;
}
