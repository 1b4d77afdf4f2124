using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// Reads one trace file front to back in large chunks for a search. A chunk's bytes stay valid until the read after
/// the next one (two buffers alternate, so the next chunk can come in while the current one is searched).
/// </summary>
internal abstract class TraceChunkReader : IAsyncDisposable
{
    /// <summary>
    /// The most one read of a folder file asks for. The copy out of the page cache is most of a search's time; a chunk
    /// this size is still in the core's cache when the pattern runs over it right after (4 MiB chunks are not: they
    /// cost about 5% more CPU in the logs benchmark). Sources read over the network keep their larger chunks, where
    /// each read is a round trip.
    /// </summary>
    public const int FolderChunkBytes = 1024 * 1024;

    /// <summary>
    /// The reader for <paramref name="file"/>: a folder source's files are opened once and read into two pooled
    /// buffers (a fresh multi-megabyte array per read costs more than the search itself), at most
    /// <see cref="FolderChunkBytes"/> at a time; any other source goes through <see cref="ITraceLogSource.ReadAsync"/>.
    /// </summary>
    public static TraceChunkReader For(ITraceLogSource source, TraceFileInfo file, int chunkBytes) =>
        source is DirectoryTraceLogSource folder
            ? new FolderReader(folder, file, Math.Min(chunkBytes, FolderChunkBytes))
            : new SourceReader(source, file, chunkBytes);

    public abstract Task<TraceFileChunk> ReadAsync(long offset, CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class SourceReader(ITraceLogSource source, TraceFileInfo file, int chunkBytes) : TraceChunkReader
    {
        public override async Task<TraceFileChunk> ReadAsync(long offset, CancellationToken cancellationToken)
        {
            var want = (int)Math.Clamp(file.Size - offset, 1, chunkBytes);
            return await source.ReadAsync(file, offset, want, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The file of a <see cref="DirectoryTraceLogSource"/>, kept open for the whole search of it: a file the gateway
    /// rolls away (deletes) meanwhile stays readable to the end on Linux; one truncated shows as a smaller size.
    /// </summary>
    private sealed class FolderReader : TraceChunkReader
    {
        private readonly TraceFileInfo _file;
        private readonly string _path;
        private readonly byte[][] _buffers;
        private readonly int _chunkBytes;
        private SafeFileHandle? _handle;
        private int _next;

        public FolderReader(DirectoryTraceLogSource source, TraceFileInfo file, int chunkBytes)
        {
            _file = file;
            _chunkBytes = chunkBytes;
            _path = Path.Combine(source.Location, "groups", file.GroupId, file.InstanceId, "trace", file.Name);
            _buffers = [ArrayPool<byte>.Shared.Rent(chunkBytes), ArrayPool<byte>.Shared.Rent(chunkBytes)];
        }

        public override async Task<TraceFileChunk> ReadAsync(long offset, CancellationToken cancellationToken)
        {
            if (!TraceFileNames.IsPlainName(_file.GroupId) || !TraceFileNames.IsPlainName(_file.InstanceId) || !TraceFileNames.IsPlainName(_file.Name))
                throw new TraceLogSourceException($"'{_file.RelativePath}' is not a trace file path");
            try
            {
                _handle ??= File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var size = RandomAccess.GetLength(_handle);
                if (offset >= size)
                    return new TraceFileChunk(offset, ReadOnlyMemory<byte>.Empty, size);
                var buffer = _buffers[_next];
                _next ^= 1;
                var want = (int)Math.Min(_chunkBytes, size - offset);
                var total = 0;
                int read;
                while (total < want && (read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(total, want - total), offset + total, cancellationToken).ConfigureAwait(false)) > 0)
                    total += read;
                return new TraceFileChunk(offset, buffer.AsMemory(0, total), Math.Max(size, offset + total));
            }
            catch (FileNotFoundException e)
            {
                throw new TraceLogSourceException($"{_file.RelativePath} is gone (rolled away or deleted)", e);
            }
            catch (DirectoryNotFoundException e)
            {
                throw new TraceLogSourceException($"{_file.RelativePath} is gone (rolled away or deleted)", e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TraceLogSourceException($"cannot read {_path}: {e.Message}", e);
            }
        }

        public override ValueTask DisposeAsync()
        {
            _handle?.Dispose();
            foreach (var buffer in _buffers)
                ArrayPool<byte>.Shared.Return(buffer);
            return ValueTask.CompletedTask;
        }
    }
}
