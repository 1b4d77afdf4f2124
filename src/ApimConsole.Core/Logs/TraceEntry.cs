namespace ApimConsole.Core.Logs;

/// <summary>The levels of a 7.7 trace line; <see cref="Unknown"/> for a malformed line.</summary>
public enum TraceLevel
{
    Unknown,
    Fatal,
    Error,
    Info,
    Debug,
    Data,
}

/// <summary>
/// One entry of a gateway trace file: a header line and any continuation lines of a multi-line message.
/// </summary>
/// <param name="Offset">Byte offset of the entry's first line in its file.</param>
/// <param name="Length">Bytes the entry takes in the file, line ends included.</param>
/// <param name="Time">The gateway's local time as written (no zone), so <see cref="DateTimeKind.Unspecified"/>.</param>
/// <param name="CorrelationId">The transaction's 24-hex id; null when the line was written outside any transaction (all zeros).</param>
/// <param name="Message">The message; the lines of a multi-line message joined with <c>\n</c>.</param>
/// <param name="IsMalformed">The line did not follow the format: <see cref="Message"/> is its raw text.</param>
/// <param name="Note">Why the entry is not quite what the file said (malformed, cut, binary, partial); null when it is.</param>
public sealed record TraceEntry(
    long Offset,
    int Length,
    TraceLevel Level,
    DateTime? Time,
    string? Thread,
    string? CorrelationId,
    string Message,
    bool IsMalformed = false,
    string? Note = null)
{
    public long EndOffset => Offset + Length;
}
