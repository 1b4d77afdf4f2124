using System.Globalization;
using System.Net;
using System.Text.Json;
using ApimConsole.Lab.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.Gateways;

/// <summary>
/// Serves one datacenter's trace folders the way nginx does with <c>autoindex on; autoindex_format json;</c>: a
/// directory (URL ending in '/') as a JSON array of <c>{"name", "type": "directory"|"file", "mtime": RFC 1123, "size"}</c>
/// (size for files only; hidden entries left out), a directory without its '/' as a 301 to it, and files with
/// <c>Range</c> (206 with <c>Content-Range</c>; 416 with <c>Content-Range: bytes */size</c> beyond the end).
/// It obeys the lab's faults as the datacenter's component <see cref="ComponentId"/>: a down datacenter or a cut link
/// makes it unreachable from the console's side.
/// </summary>
internal sealed class TraceLogServer : IAsyncDisposable
{
    public const string ComponentId = "logs";

    private readonly string _datacenterId;
    private readonly string _root;
    private readonly LabFaults _faults;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private WebApplication? _app;

    public TraceLogServer(string datacenterId, string root, LabFaults faults, TimeProvider time, CancellationToken stopping)
    {
        _datacenterId = datacenterId;
        _root = Path.GetFullPath(root);
        _faults = faults;
        _time = time;
        _stopping = stopping;
        Directory.CreateDirectory(_root);
    }

    public int Port { get; private set; }

    public async Task StartAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = LabHosting.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseLabFaults(_faults, _datacenterId, ComponentId, _time, _stopping)));
        var app = builder.Build();
        app.Use((context, next) => FaultEnforcement.EnforceForRequestAsync(context, _faults, _datacenterId, ComponentId, _time, _stopping, () => next(context)));
        app.Run(ServeAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = LabHosting.BoundPort(app);
    }

    private async Task ServeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        var requestPath = context.Request.Path.Value ?? "/";
        var relative = requestPath.TrimStart('/');
        var segments = relative.Split('/');
        if (segments.Any(s => s is ".." or "." || s.StartsWith('.') || s.Contains('\\')))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var full = Path.GetFullPath(Path.Combine(_root, relative));
        if (!full.StartsWith(_root, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (requestPath.EndsWith('/'))
        {
            if (!Directory.Exists(full))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await WriteListingAsync(context, new DirectoryInfo(full)).ConfigureAwait(false);
            return;
        }
        if (Directory.Exists(full))
        {
            context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
            context.Response.Headers.Location = context.Request.PathBase + requestPath + "/";
            return;
        }
        if (!File.Exists(full))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        // ASP.NET Core's file result does the Range work (206, 416 with bytes */size) as nginx does.
        var info = new FileInfo(full);
        await TypedResults.PhysicalFile(full, "application/octet-stream", lastModified: info.LastWriteTimeUtc, enableRangeProcessing: true)
            .ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task WriteListingAsync(HttpContext context, DirectoryInfo directory)
    {
        var entries = new List<object>();
        foreach (var entry in directory.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith('.'))
                continue;
            var mtime = entry.LastWriteTimeUtc.ToString("r", CultureInfo.InvariantCulture);
            if (entry is DirectoryInfo)
                entries.Add(new Dictionary<string, object> { ["name"] = entry.Name, ["type"] = "directory", ["mtime"] = mtime });
            else if (entry is FileInfo file)
                entries.Add(new Dictionary<string, object> { ["name"] = entry.Name, ["type"] = "file", ["mtime"] = mtime, ["size"] = file.Length });
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        await JsonSerializer.SerializeAsync(context.Response.Body, entries, (JsonSerializerOptions?)null, context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
