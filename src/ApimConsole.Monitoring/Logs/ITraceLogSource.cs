namespace ApimConsole.Monitoring.Logs;

/// <summary>One trace file of one gateway instance: <c>groups/&lt;group&gt;/&lt;instance&gt;/trace/&lt;name&gt;</c>.</summary>
public sealed record TraceFileInfo(string GroupId, string InstanceId, string Name, long Size, DateTimeOffset? LastModified)
{
    /// <summary>The path under the source's root, '/'-separated.</summary>
    public string RelativePath => $"groups/{GroupId}/{InstanceId}/trace/{Name}";
}

/// <summary>Bytes of a trace file from <see cref="Offset"/>, and the file's size when they were read.</summary>
/// <param name="FileSize">The file's size at the time of the read; smaller than the offset asked for when it was truncated.</param>
public sealed record TraceFileChunk(long Offset, ReadOnlyMemory<byte> Bytes, long FileSize)
{
    public long EndOffset => Offset + Bytes.Length;
    public bool AtEnd => EndOffset >= FileSize;
}

/// <summary>The source could not be read (unreachable, timed out, not a listing, missing file): <see cref="Exception.Message"/> says which.</summary>
public sealed class TraceLogSourceException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where one datacenter's trace files come from: a mounted directory or an HTTP server with a JSON autoindex.
/// Both read the same tree, <c>groups/&lt;group&gt;/&lt;instance&gt;/trace/&lt;server&gt;_&lt;yyyyMMddHHmmss&gt;.trc</c>.
/// </summary>
public interface ITraceLogSource
{
    /// <summary>Where it reads from, for messages ("http://..." or a folder).</summary>
    string Location { get; }

    /// <summary>Every instance's <c>.trc</c> files, per instance oldest first (by name, which carries the start time).</summary>
    Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="maxBytes"/> bytes of the file from <paramref name="offset"/>; none when the offset is at
    /// or past the end (then <see cref="TraceFileChunk.FileSize"/> tells whether the file shrank).
    /// </summary>
    Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken);
}

internal static class TraceFileNames
{
    public static bool IsTraceFile(string name) => name.EndsWith(".trc", StringComparison.Ordinal) && !name.StartsWith('.');

    public static IReadOnlyList<TraceFileInfo> Ordered(IEnumerable<TraceFileInfo> files) =>
        files.OrderBy(f => f.GroupId, StringComparer.Ordinal).ThenBy(f => f.InstanceId, StringComparer.Ordinal)
            .ThenBy(f => f.Name, StringComparer.Ordinal).ToList();

    public static void CheckRead(long offset, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
    }

    /// <summary>A name from a listing or a caller that is safe as one path segment.</summary>
    public static bool IsPlainName(string name) =>
        name.Length > 0 && name is not ("." or "..") && !name.Contains('/') && !name.Contains('\\') && !name.Contains('\0');
}
