namespace ApimConsole.Monitoring.Logs;

/// <summary>Trace files read from a folder: a mount of a datacenter's trace folders (<c>Logs:Directory</c>).</summary>
public sealed class DirectoryTraceLogSource : ITraceLogSource
{
    private readonly string _root;

    public DirectoryTraceLogSource(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
    }

    public string Location => _root;

    public Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var groups = Path.Combine(_root, "groups");
        if (!Directory.Exists(groups))
            throw new TraceLogSourceException($"{_root} has no 'groups' folder: is the datacenter's trace mount there?");
        var files = new List<TraceFileInfo>();
        try
        {
            foreach (var group in new DirectoryInfo(groups).EnumerateDirectories())
            {
                foreach (var instance in group.EnumerateDirectories())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var trace = new DirectoryInfo(Path.Combine(instance.FullName, "trace"));
                    if (!trace.Exists)
                        continue;
                    foreach (var file in trace.EnumerateFiles())
                    {
                        if (TraceFileNames.IsTraceFile(file.Name))
                            files.Add(new TraceFileInfo(group.Name, instance.Name, file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder that vanishes mid-walk (an instance removed) or cannot be read.
            throw new TraceLogSourceException($"cannot list {groups}: {e.Message}", e);
        }
        return Task.FromResult(TraceFileNames.Ordered(files));
    }

    public async Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        TraceFileNames.CheckRead(offset, maxBytes);
        if (!TraceFileNames.IsPlainName(file.GroupId) || !TraceFileNames.IsPlainName(file.InstanceId) || !TraceFileNames.IsPlainName(file.Name))
            throw new TraceLogSourceException($"'{file.RelativePath}' is not a trace file path");
        var path = Path.Combine(_root, "groups", file.GroupId, file.InstanceId, "trace", file.Name);
        try
        {
            // The gateway keeps writing the file (and may delete it when it rolls away): share everything.
            await using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
            var size = stream.Length;
            if (offset >= size)
                return new TraceFileChunk(offset, ReadOnlyMemory<byte>.Empty, size);
            stream.Position = offset;
            var buffer = new byte[(int)Math.Min(maxBytes, size - offset)];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
                total += read;
            return new TraceFileChunk(offset, buffer.AsMemory(0, total), Math.Max(size, offset + total));
        }
        catch (FileNotFoundException e)
        {
            throw new TraceLogSourceException($"{file.RelativePath} is gone (rolled away or deleted)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TraceLogSourceException($"cannot read {path}: {e.Message}", e);
        }
    }
}
