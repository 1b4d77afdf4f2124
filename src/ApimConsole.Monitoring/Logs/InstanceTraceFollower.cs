namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// Follows one gateway instance's trace across its files: reads the current file as it grows and, when a newer file
/// appears (the gateway rolled), finishes the current one and moves on to the next, with a note. A file that vanishes
/// before it was read to the end is noted and skipped.
/// </summary>
public sealed class InstanceTraceFollower
{
    private TraceFileCursor? _cursor;

    public InstanceTraceFollower(string groupId, string instanceId)
    {
        GroupId = groupId;
        InstanceId = instanceId;
    }

    public string GroupId { get; }
    public string InstanceId { get; }

    /// <summary>
    /// The follower began after older lines (part way into the newest file, or with older rolled files beside it) and
    /// the tail has not yet said where (<see cref="StartNoted"/>): lines before its first read one were never read.
    /// </summary>
    public bool StartPending { get; private set; }

    /// <summary>The tail noted where this follower began (see <see cref="Core.Logs.TraceLogBuffer.NoteTailStart"/>).</summary>
    public void StartNoted() => StartPending = false;

    /// <summary>The file being read and where; null before the first poll that found a file.</summary>
    public TraceFileCursor? Cursor => _cursor;

    /// <summary>
    /// Reads what is new, at most <paramref name="maxBytes"/> per file touched. <paramref name="listing"/> is the
    /// source's current listing (one listing serves every instance of a datacenter). The first poll starts the newest
    /// file <paramref name="backfillBytes"/> before its end.
    /// </summary>
    public async Task<TraceReadResult> PollAsync(ITraceLogSource source, IReadOnlyList<TraceFileInfo> listing, int maxBytes, long backfillBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(listing);
        var files = listing.Where(f => f.GroupId == GroupId && f.InstanceId == InstanceId).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var entries = new List<Core.Logs.TraceEntry>();
        var notes = new List<string>();
        if (files.Count == 0)
        {
            if (_cursor is not null)
                notes.Add($"{GroupId}/{InstanceId} has no trace files any more");
            return new TraceReadResult(entries, notes, AtEnd: true);
        }
        if (_cursor is null)
        {
            var newest = files[^1];
            var start = Math.Max(0, newest.Size - Math.Max(0, backfillBytes));
            _cursor = new TraceFileCursor(newest, start);
            StartPending = start > 0 || files.Count > 1;
        }

        // At most one roll per poll keeps each poll bounded; the next poll carries on.
        for (var step = 0; step < 2; step++)
        {
            var current = files.FirstOrDefault(f => f.Name == _cursor.File.Name);
            var next = files.FirstOrDefault(f => string.CompareOrdinal(f.Name, _cursor.File.Name) > 0);
            if (current is null)
            {
                var to = next ?? files[^1];
                notes.Add($"{_cursor.File.RelativePath} is gone before it was read to the end; continuing with {to.Name}");
                _cursor = new TraceFileCursor(to);
                continue;
            }
            TraceReadResult read;
            try
            {
                read = await _cursor.ReadAsync(source, maxBytes, final: next is not null, cancellationToken).ConfigureAwait(false);
            }
            catch (TraceLogSourceException e) when (next is not null)
            {
                // Deleted between the listing and the read.
                notes.Add($"{e.Message}; continuing with {next.Name}");
                _cursor = new TraceFileCursor(next);
                continue;
            }
            entries.AddRange(read.Entries);
            notes.AddRange(read.Notes);
            if (next is null || !read.AtEnd)
                return new TraceReadResult(entries, notes, read.AtEnd && next is null);
            notes.Add($"{GroupId}/{InstanceId} rolled to a new file: {next.Name}");
            _cursor = new TraceFileCursor(next);
        }
        return new TraceReadResult(entries, notes, AtEnd: false);
    }
}
