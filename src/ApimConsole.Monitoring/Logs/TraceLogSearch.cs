using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using ApimConsole.Core.Logs;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// Searches a datacenter's trace files through its <see cref="ITraceLogSource"/>. The files are picked by the time
/// range from their names, read in large chunks, and, when the query has a correlation id or a text, searched on the
/// raw bytes first (<see cref="AsciiIgnoreCasePattern"/>): only the entries around a byte hit are parsed and checked
/// against every filter. A query without either parses every entry of the files picked.
/// </summary>
/// <remarks>
/// Files are searched newest-start last, up to <see cref="MaxParallelFiles"/> at once, each with the next chunk read
/// while the current one is searched. A file that vanishes or shrinks while it is read is noted and left; a source that
/// stops answering ends the search with <see cref="TraceSearchProgress.Error"/>, the hits found so far delivered.
/// </remarks>
public sealed class TraceLogSearch : ITraceLogSearch
{
    /// <summary>An entry held across chunks beyond this is cut there (a runaway continuation or a file of garbage).</summary>
    public const int MaxCarryBytes = 4 * 1024 * 1024;

    private readonly ITraceLogSources _sources;

    public TraceLogSearch(ITraceLogSources sources)
    {
        _sources = sources;
    }

    /// <summary>Bytes asked of the source per read (a folder source's files: at most <see cref="TraceChunkReader.FolderChunkBytes"/>).</summary>
    public int ChunkBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Files searched at the same time.</summary>
    public int MaxParallelFiles { get; init; } = 2;

    public IAsyncEnumerable<TraceLogRecord> SearchAsync(TraceSearchQuery query, IProgress<TraceSearchProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var source = _sources.For(query.DatacenterId ?? "")
            ?? throw new ArgumentException($"'{query.DatacenterId}' is not a datacenter with a log source (known: {string.Join(", ", _sources.DatacenterIds)})", nameof(query));
        var plan = SearchPlan.Of(query);
        return RunAsync(query, plan, source, progress, cancellationToken);
    }

    private async IAsyncEnumerable<TraceLogRecord> RunAsync(TraceSearchQuery query, SearchPlan plan, ITraceLogSource source,
        IProgress<TraceSearchProgress>? progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var hits = Channel.CreateBounded<TraceLogRecord>(new BoundedChannelOptions(1024) { SingleReader = true });
        // Two stops: reading ends at MaxResults or a failure while the hits found still go out; writing ends only
        // when the caller is gone.
        using var callerGone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(callerGone.Token);
        var run = new SearchRun(query, plan, source, progress, hits.Writer, stop, callerGone.Token, ChunkBytes);
        var producer = Task.Run(() => run.RunAsync(MaxParallelFiles), CancellationToken.None);
        try
        {
            await foreach (var hit in hits.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return hit;
        }
        finally
        {
            // The caller stopped early (break, cancel): stop reading too.
            callerGone.Cancel();
            await producer.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The start time in a trace file's name (<c>&lt;server&gt;_&lt;yyyyMMddHHmmss&gt;.trc</c>); null when it has none.</summary>
    public static DateTime? StartOf(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        const string Extension = ".trc";
        const int StampLength = 14;
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal) || fileName.Length < StampLength + Extension.Length + 1)
            return null;
        var stamp = fileName.AsSpan(fileName.Length - Extension.Length - StampLength, StampLength);
        if (fileName[fileName.Length - Extension.Length - StampLength - 1] != '_')
            return null;
        return DateTime.TryParseExact(stamp, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            ? DateTime.SpecifyKind(start, DateTimeKind.Unspecified)
            : null;
    }

    /// <summary>
    /// The files of <paramref name="listing"/> a query over [<paramref name="from"/>, <paramref name="to"/>) must read:
    /// a file spans from its name's start to the start of its instance's next file, the newest is open-ended, and a
    /// file whose name carries no start is always read. Ordered by start, then path.
    /// </summary>
    public static IReadOnlyList<TraceFileInfo> FilesInRange(IReadOnlyList<TraceFileInfo> listing, DateTime? from, DateTime? to, string? groupId = null, string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var picked = new List<(TraceFileInfo File, DateTime? Start)>();
        foreach (var instance in listing.GroupBy(f => (f.GroupId, f.InstanceId)))
        {
            if ((groupId is not null && instance.Key.GroupId != groupId) || (instanceId is not null && instance.Key.InstanceId != instanceId))
                continue;
            var files = instance.Select(f => (File: f, Start: StartOf(f.Name))).OrderBy(f => f.File.Name, StringComparer.Ordinal).ToList();
            for (var i = 0; i < files.Count; i++)
            {
                var (file, start) = files[i];
                DateTime? end = null;
                for (var j = i + 1; j < files.Count && end is null; j++)
                    end = files[j].Start;
                var overlaps = start is null
                    || ((to is null || start < to) && (from is null || end is null || end > from));
                if (overlaps)
                    picked.Add((file, start));
            }
        }
        return picked.OrderBy(f => f.Start ?? DateTime.MinValue).ThenBy(f => f.File.RelativePath, StringComparer.Ordinal).Select(f => f.File).ToList();
    }

    /// <summary>The query checked and turned into what the search needs.</summary>
    private sealed record SearchPlan(string? CorrelationId, string? Text, HashSet<TraceLevel>? Levels, AsciiIgnoreCasePattern? Pattern)
    {
        public static SearchPlan Of(TraceSearchQuery query)
        {
            if (query.MaxResults < 1)
                throw new ArgumentException($"MaxResults must be at least 1 (it is {query.MaxResults})", nameof(query));
            if (query.From is { } from && query.To is { } to && from > to)
                throw new ArgumentException($"From ({from:yyyy-MM-dd HH:mm:ss}) is after To ({to:yyyy-MM-dd HH:mm:ss})", nameof(query));
            string? correlation = null;
            if (!string.IsNullOrWhiteSpace(query.CorrelationId))
            {
                correlation = query.CorrelationId.Trim().ToLowerInvariant();
                if (correlation.StartsWith("id-", StringComparison.Ordinal))
                    correlation = correlation[3..]; // as the X-CorrelationID header writes it
                if (correlation.Length != TraceLineParser.NoCorrelation.Length || !correlation.All(char.IsAsciiHexDigit))
                    throw new ArgumentException($"'{query.CorrelationId}' is not a correlation id (24 hex digits)", nameof(query));
                if (correlation == TraceLineParser.NoCorrelation)
                    throw new ArgumentException("the all-zero correlation id marks lines written outside any transaction: it finds no transaction", nameof(query));
            }
            var text = string.IsNullOrEmpty(query.Text) ? null : query.Text;
            var levels = query.Levels is { Count: > 0 } ? query.Levels.ToHashSet() : null;
            AsciiIgnoreCasePattern? pattern = null;
            if (correlation is not null)
                pattern = new AsciiIgnoreCasePattern(correlation);
            else if (text is not null && LongestAsciiRun(text) is { Length: > 0 } run)
                pattern = new AsciiIgnoreCasePattern(run);
            return new SearchPlan(correlation, text, levels, pattern);
        }

        /// <summary>
        /// The part of the text the byte search looks for: its longest run of printable ASCII within one line (ASCII
        /// letters fold on bytes; other letters' cases do not, so they are left to the check on the parsed message).
        /// </summary>
        private static string LongestAsciiRun(string text)
        {
            var best = "";
            var start = 0;
            for (var i = 0; i <= text.Length; i++)
            {
                if (i < text.Length && text[i] is >= ' ' and <= '~')
                    continue;
                if (i - start > best.Length)
                    best = text[start..i];
                start = i + 1;
            }
            return best;
        }
    }

    /// <summary>One search as it runs: the files, the counters, the channel the hits go to.</summary>
    private sealed class SearchRun(TraceSearchQuery query, SearchPlan plan, ITraceLogSource source, IProgress<TraceSearchProgress>? progress,
        ChannelWriter<TraceLogRecord> hits, CancellationTokenSource stop, CancellationToken callerGone, int chunkBytes)
    {
        private readonly Lock _gate = new();
        private readonly List<string> _notes = [];
        private int _filesTotal;
        private int _filesSearched;
        private long _bytesTotal;
        private long _bytesSearched;
        private int _hits;
        private bool _truncated;
        private string? _error;

        public async Task RunAsync(int parallelFiles)
        {
            try
            {
                IReadOnlyList<TraceFileInfo> files;
                try
                {
                    var listing = await source.ListFilesAsync(stop.Token).ConfigureAwait(false);
                    files = FilesInRange(listing, query.From, query.To, query.GroupId, query.InstanceId);
                }
                catch (TraceLogSourceException e)
                {
                    Fail(e.Message);
                    return;
                }
                lock (_gate)
                {
                    _filesTotal = files.Count;
                    _bytesTotal = files.Sum(f => f.Size);
                }
                Report(done: false);
                await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelFiles), CancellationToken = stop.Token },
                    async (file, token) =>
                    {
                        await SearchFileAsync(file, token).ConfigureAwait(false);
                        lock (_gate)
                            _filesSearched++;
                        Report(done: false);
                    }).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested || callerGone.IsCancellationRequested)
            {
                // Cut (MaxResults), failed, or the caller stopped: the final report says which.
            }
            catch (Exception e)
            {
                Fail($"the search failed: {e.Message}");
            }
            finally
            {
                Report(done: true);
                hits.TryComplete();
            }
        }

        private async Task SearchFileAsync(TraceFileInfo file, CancellationToken token)
        {
            var reader = new FileSearch(this, file);
            await using var chunks = TraceChunkReader.For(source, file, chunkBytes);
            long offset = 0;
            long counted = 0;
            Task<TraceFileChunk>? pending = chunks.ReadAsync(0, token);
            try
            {
                while (pending is not null)
                {
                    TraceFileChunk chunk;
                    try
                    {
                        chunk = await pending.ConfigureAwait(false);
                    }
                    catch (TraceLogSourceException e)
                    {
                        await FileFailedAsync(file, e, token).ConfigureAwait(false);
                        await reader.FinishAsync(token).ConfigureAwait(false);
                        break;
                    }
                    pending = null;
                    if (chunk.FileSize < offset)
                    {
                        Note($"{file.RelativePath} shrank to {chunk.FileSize} bytes while it was searched (truncated or replaced): searched up to {offset}");
                        await reader.FinishAsync(token).ConfigureAwait(false);
                        break;
                    }
                    offset = chunk.EndOffset;
                    var last = chunk.Bytes.IsEmpty || chunk.AtEnd || offset >= file.Size;
                    if (last && chunk.FileSize < file.Size)
                        Note($"{file.RelativePath} shrank from {file.Size} to {chunk.FileSize} bytes while it was searched (truncated or replaced): searched what there was");
                    if (!last)
                        pending = chunks.ReadAsync(offset, token); // the next chunk comes in while this one is searched
                    await reader.FeedAsync(chunk, last, token).ConfigureAwait(false);
                    var add = Math.Min(chunk.Bytes.Length, Math.Max(0, file.Size - counted));
                    counted += add;
                    lock (_gate)
                        _bytesSearched += add;
                    if (!last)
                        Report(done: false);
                }
            }
            finally
            {
                // A read still under way writes into the reader's buffers: let it end before they go back.
                if (pending is not null)
                    await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        /// <summary>A file that cannot be read: gone (rolled away) is a note; the source gone too ends the search.</summary>
        private async Task FileFailedAsync(TraceFileInfo file, TraceLogSourceException e, CancellationToken token)
        {
            IReadOnlyList<TraceFileInfo> listing;
            try
            {
                listing = await source.ListFilesAsync(token).ConfigureAwait(false);
            }
            catch (TraceLogSourceException)
            {
                Fail(e.Message);
                throw new OperationCanceledException(stop.Token);
            }
            Note(listing.Any(f => f.RelativePath == file.RelativePath)
                ? $"{file.RelativePath} could not be read ({e.Message}): skipped"
                : $"{file.RelativePath} is gone (rolled away or deleted) while it was searched: skipped the rest of it");
        }

        public bool Matches(TraceEntry entry)
        {
            if (plan.CorrelationId is not null && !string.Equals(entry.CorrelationId, plan.CorrelationId, StringComparison.Ordinal))
                return false;
            if (plan.Levels is not null && !plan.Levels.Contains(entry.Level))
                return false;
            if (query.From is not null || query.To is not null)
            {
                if (entry.Time is not { } time || time < query.From || time >= query.To)
                    return false;
            }
            return plan.Text is null || entry.Message.Contains(plan.Text, StringComparison.OrdinalIgnoreCase);
        }

        public AsciiIgnoreCasePattern? Pattern => plan.Pattern;

        /// <summary>Sends a hit out; false when the search must stop (MaxResults reached).</summary>
        public async ValueTask<bool> HitAsync(TraceFileInfo file, TraceEntry entry)
        {
            int number;
            lock (_gate)
            {
                if (_hits >= query.MaxResults)
                    number = 0;
                else
                {
                    number = ++_hits;
                    _truncated = _hits >= query.MaxResults;
                }
            }
            if (number == 0)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return false;
            }
            await hits.WriteAsync(new TraceLogRecord(number, query.DatacenterId, file.GroupId, file.InstanceId, file.Name, entry), callerGone).ConfigureAwait(false);
            if (number >= query.MaxResults)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return false;
            }
            return true;
        }

        public void Note(string note)
        {
            lock (_gate)
            {
                if (_notes.Count < 100)
                    _notes.Add(note);
            }
        }

        private void Fail(string error)
        {
            lock (_gate)
                _error ??= error;
            stop.Cancel();
        }

        private void Report(bool done)
        {
            if (progress is null)
                return;
            TraceSearchProgress report;
            lock (_gate)
            {
                report = new TraceSearchProgress(_filesTotal, _filesSearched, _bytesTotal, _bytesSearched, _hits, done, _truncated, _error,
                    _notes.Count == 0 ? null : _notes.ToList());
            }
            progress.Report(report);
        }
    }

    /// <summary>
    /// One file's bytes as they come: whole entries are searched where they lie in the chunk; the entry still open at
    /// a chunk's end is carried into the next.
    /// </summary>
    private sealed class FileSearch(SearchRun run, TraceFileInfo file)
    {
        private readonly List<TraceEntry> _parsed = [];
        private byte[] _carry = [];
        private int _carryLength;
        private long _carryOffset;
        private TraceLineParser? _parser;
        private bool _binaryNoted;

        public async Task FeedAsync(TraceFileChunk chunk, bool last, CancellationToken token)
        {
            if (run.Pattern is null)
            {
                // Nothing to look for on bytes: parse it all.
                _parser ??= new TraceLineParser(chunk.Offset);
                _parsed.Clear();
                _parser.Feed(chunk.Bytes.Span, _parsed);
                if (last)
                    _parser.Complete(_parsed);
                await EmitAsync(token).ConfigureAwait(false);
                return;
            }
            var bytes = chunk.Bytes;
            var from = 0;
            if (_carryLength > 0)
            {
                // The carried entry goes on until the first entry start in this chunk (the seam): join just that.
                var carryEndsLine = _carry[_carryLength - 1] == (byte)'\n';
                var lineStart = carryEndsLine ? 0 : bytes.Span.IndexOf((byte)'\n') + 1;
                var seam = !carryEndsLine && lineStart == 0 ? -1 : TraceEntryBoundary.FirstEntryStart(bytes.Span, lineStart);
                if (seam < 0)
                {
                    Append(bytes.Span);
                    if (last)
                        await SearchAsync(TakeCarry(), _carryOffset, token).ConfigureAwait(false);
                    else
                        await CutCarryIfLargeAsync(token).ConfigureAwait(false);
                    return;
                }
                Append(bytes.Span[..seam]);
                await SearchAsync(TakeCarry(), _carryOffset, token).ConfigureAwait(false);
                from = seam;
            }
            if (last)
            {
                // The end of what is read: everything left is whole.
                await SearchAsync(bytes[from..], chunk.Offset + from, token).ConfigureAwait(false);
                return;
            }
            var lastStart = TraceEntryBoundary.LastEntryStart(bytes.Span, from);
            if (lastStart <= from)
            {
                _carryOffset = chunk.Offset + from;
                Append(bytes.Span[from..]);
                await CutCarryIfLargeAsync(token).ConfigureAwait(false);
                return;
            }
            await SearchAsync(bytes[from..lastStart], chunk.Offset + from, token).ConfigureAwait(false);
            _carryOffset = chunk.Offset + lastStart;
            Append(bytes.Span[lastStart..]);
        }

        /// <summary>The search ends early (the file failed or shrank): what is held is searched as it is.</summary>
        public async Task FinishAsync(CancellationToken token)
        {
            if (run.Pattern is null)
            {
                if (_parser is null)
                    return;
                _parsed.Clear();
                _parser.Complete(_parsed);
                await EmitAsync(token).ConfigureAwait(false);
                return;
            }
            if (_carryLength > 0)
                await SearchAsync(TakeCarry(), _carryOffset, token).ConfigureAwait(false);
        }

        /// <summary>Finds the pattern in <paramref name="region"/> (whole entries) and checks the entries it falls in.</summary>
        private async Task SearchAsync(ReadOnlyMemory<byte> region, long regionOffset, CancellationToken token)
        {
            var pattern = run.Pattern!;
            var position = 0;
            while (position < region.Length)
            {
                var (start, end) = NextHit(region.Span, position, pattern);
                if (start < 0)
                    return;
                var parser = new TraceLineParser(regionOffset + start);
                _parsed.Clear();
                parser.Feed(region.Span[start..end], _parsed);
                parser.Complete(_parsed);
                await EmitAsync(token).ConfigureAwait(false);
                position = end;
            }
        }

        private static (int Start, int End) NextHit(ReadOnlySpan<byte> region, int position, AsciiIgnoreCasePattern pattern)
        {
            var at = pattern.IndexOf(region[position..]);
            if (at < 0)
                return (-1, -1);
            var hit = position + at;
            return (TraceEntryBoundary.EntryStart(region, hit, position), TraceEntryBoundary.EntryEnd(region, hit));
        }

        private async Task EmitAsync(CancellationToken token)
        {
            foreach (var entry in _parsed)
            {
                if (entry.IsMalformed && !_binaryNoted && entry.Note?.Contains("not text", StringComparison.Ordinal) == true)
                {
                    _binaryNoted = true;
                    run.Note($"{file.RelativePath} holds bytes that are not text (first at offset {entry.Offset}): shown as they are where they match");
                }
                if (run.Matches(entry) && !await run.HitAsync(file, entry).ConfigureAwait(false))
                    throw new OperationCanceledException(token);
            }
            _parsed.Clear();
        }

        /// <summary>An entry that will not end within <see cref="MaxCarryBytes"/>: search what is held up to its last line end.</summary>
        private async Task CutCarryIfLargeAsync(CancellationToken token)
        {
            if (_carryLength < MaxCarryBytes)
                return;
            var cut = _carry.AsSpan(0, _carryLength).LastIndexOf((byte)'\n') + 1;
            if (cut <= 0)
                cut = _carryLength;
            run.Note($"{file.RelativePath}: no entry start within {MaxCarryBytes / (1024 * 1024)} MiB from offset {_carryOffset}: searched in pieces there");
            var held = _carry.AsMemory(0, cut).ToArray();
            var heldOffset = _carryOffset;
            var rest = _carry.AsSpan(cut, _carryLength - cut).ToArray();
            _carryLength = 0;
            _carryOffset = heldOffset + cut;
            Append(rest);
            await SearchAsync(held, heldOffset, token).ConfigureAwait(false);
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            if (_carryLength + bytes.Length > _carry.Length)
                Array.Resize(ref _carry, Math.Max(_carryLength + bytes.Length, Math.Max(4096, _carry.Length * 2)));
            bytes.CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += bytes.Length;
        }

        private ReadOnlyMemory<byte> TakeCarry()
        {
            var taken = _carry.AsMemory(0, _carryLength).ToArray();
            _carryLength = 0;
            return taken;
        }
    }
}
