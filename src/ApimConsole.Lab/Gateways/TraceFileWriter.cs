using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.Gateways;

/// <summary>
/// Writes one gateway instance's trace lines to disk the way the gateway does:
/// <c>&lt;folder&gt;/&lt;server&gt;_&lt;yyyyMMddHHmmss&gt;.trc</c>, a new file once the current one reaches the roll size.
/// </summary>
/// <remarks>
/// Lines go into a buffer and reach the file on a timer (and when a file rolls or the writer is disposed), so the
/// traffic path never waits for the disk. A write that fails (disk full, folder removed) drops the line and is logged
/// once; it never fails the request that wrote it.
/// </remarks>
public sealed class TraceFileWriter : IDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly string _folder;
    private readonly string _server;
    private readonly long _rollBytes;
    private readonly int _filesKept;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _flushTimer;
    private FileStream? _file;
    private StreamWriter? _writer;
    private long _bytes;
    private DateTime _lastFileTime;
    private bool _failed;
    private bool _disposed;

    /// <param name="filesKept">Files kept per instance: a roll deletes the oldest beyond it, as the gateway does.</param>
    public TraceFileWriter(string folder, string server, long rollBytes, int filesKept, TimeSpan flushInterval, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rollBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(filesKept, 1);
        _filesKept = filesKept;
        _folder = folder;
        _server = FileNameOf(server);
        _rollBytes = rollBytes;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(folder);
        _flushTimer = time.CreateTimer(_ => Flush(), null, flushInterval, flushInterval);
    }

    /// <summary>The folder the files go to.</summary>
    public string Folder => _folder;

    /// <summary>The server part of the file names: the instance name with anything but letters, digits, '-' and '_' as '_'.</summary>
    public static string FileNameOf(string server)
    {
        var sb = new StringBuilder(server.Length);
        foreach (var c in server)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        return sb.ToString();
    }

    public void Write(TraceLine line)
    {
        var text = line.Format() + "\n";
        lock (_gate)
        {
            if (_disposed || _failed)
                return;
            try
            {
                if (_writer is null || _bytes >= _rollBytes)
                    Roll();
                _writer!.Write(text);
                _bytes += Encoding.UTF8.GetByteCount(text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failed = true;
                _logger.LogWarning(e, "Writing trace files to {Folder} failed; this instance writes no more trace files", _folder);
            }
        }
    }

    /// <summary>Pushes buffered lines to the file (the timer does this regularly).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed || _failed || _writer is null)
                return;
            try
            {
                _writer.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failed = true;
                _logger.LogWarning(e, "Flushing trace file in {Folder} failed; this instance writes no more trace files", _folder);
            }
        }
    }

    public void Dispose()
    {
        _flushTimer.Dispose();
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            try
            {
                _writer?.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug(e, "Closing trace file in {Folder}", _folder);
            }
        }
    }

    private void Roll()
    {
        _writer?.Dispose();
        // The name carries the second the file starts, in the gateway's local time. Files that roll faster than one a
        // second (tiny roll sizes in tests) take the next free second, so names stay unique and sort in order.
        var stamp = _time.GetLocalNow().DateTime;
        stamp = new DateTime(stamp.Year, stamp.Month, stamp.Day, stamp.Hour, stamp.Minute, stamp.Second, DateTimeKind.Unspecified);
        if (stamp <= _lastFileTime)
            stamp = _lastFileTime.AddSeconds(1);
        string path;
        while (File.Exists(path = Path.Combine(_folder, $"{_server}_{stamp.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}.trc")))
            stamp = stamp.AddSeconds(1);
        _lastFileTime = stamp;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        _writer = new StreamWriter(_file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), BufferBytes);
        _bytes = 0;
        var prefix = _server + "_";
        var old = Directory.GetFiles(_folder, prefix + "*.trc").Order(StringComparer.Ordinal).ToList();
        foreach (var file in old.Take(Math.Max(0, old.Count - _filesKept)))
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file someone holds or removed already: keep writing; the next roll tries again.
                _logger.LogDebug(e, "Removing old trace file {File}", file);
            }
        }
    }
}
