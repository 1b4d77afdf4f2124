using ApimConsole.Core.Logs;

namespace ApimConsole.Monitoring.Logs;

/// <summary>What one read gave: the entries completed, and notes on anything odd (truncated, rolled, gone).</summary>
/// <param name="AtEnd">Everything the file held at the time of the read has been read.</param>
public sealed record TraceReadResult(IReadOnlyList<TraceEntry> Entries, IReadOnlyList<string> Notes, bool AtEnd);

/// <summary>
/// Reads one trace file incrementally, a bounded chunk per call, keeping the parser between calls so a multi-line
/// message or a line split across two reads comes out whole. A file that shrank (truncated, or replaced under the same
/// name) is noted and read again from its start.
/// </summary>
public sealed class TraceFileCursor
{
    private TraceLineParser _parser;
    private bool _alignToLine;

    /// <param name="startOffset">
    /// Where to start; past 0, the read skips to the next line start (it may land mid-line). A start exactly at a line
    /// start keeps that line: the read begins one byte earlier, on the line end before it.
    /// </param>
    public TraceFileCursor(TraceFileInfo file, long startOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        File = file;
        _parser = new TraceLineParser(Math.Max(0, startOffset - 1));
        _alignToLine = startOffset > 0;
    }

    public TraceFileInfo File { get; }

    /// <summary>The offset the next read starts at.</summary>
    public long Position => _parser.Position;

    /// <summary>Where a new cursor would start to lose nothing this one has not yet returned.</summary>
    public long CommittedOffset => _parser.CommittedOffset;

    /// <summary>The last entry, still open for continuation lines (a tail shows it provisionally).</summary>
    public TraceEntry? Pending => _parser.Pending;

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> new bytes. With <paramref name="final"/> (the file will not grow: it
    /// rolled), the end of what there is completes the last entry and any partial last line.
    /// </summary>
    public async Task<TraceReadResult> ReadAsync(ITraceLogSource source, int maxBytes, bool final, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var entries = new List<TraceEntry>();
        var notes = new List<string>();
        var chunk = await source.ReadAsync(File, _parser.Position, maxBytes, cancellationToken).ConfigureAwait(false);
        if (chunk.FileSize < _parser.Position)
        {
            notes.Add($"{File.RelativePath} shrank from {_parser.Position} to {chunk.FileSize} bytes (truncated or replaced): reading it again from the start");
            _parser.Complete(entries);
            _parser = new TraceLineParser(0);
            _alignToLine = false;
            chunk = await source.ReadAsync(File, 0, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        var bytes = chunk.Bytes.Span;
        if (_alignToLine && !bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            if (newline < 0)
            {
                // Still inside the first (cut) line: skip it all.
                _parser = new TraceLineParser(chunk.EndOffset);
                bytes = [];
            }
            else
            {
                _parser = new TraceLineParser(chunk.Offset + newline + 1);
                bytes = bytes[(newline + 1)..];
                _alignToLine = false;
            }
        }
        _parser.Feed(bytes, entries);
        var atEnd = chunk.AtEnd;
        if (final && atEnd)
        {
            if (_parser.HasPartialLine)
                notes.Add($"{File.RelativePath} ends with a partial line");
            _parser.Complete(entries);
        }
        return new TraceReadResult(entries, notes, atEnd);
    }
}
