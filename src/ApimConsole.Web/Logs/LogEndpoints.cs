using System.Globalization;
using System.Text;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Api;
using ApimConsole.Web.Security;

namespace ApimConsole.Web.Logs;

/// <summary>
/// The trace log API, for Support: <c>GET /api/logs/status</c> (each datacenter's source: reachable, since when,
/// notes), <c>GET /api/logs/{dc}?after=&amp;max=&amp;filters</c> (buffered lines after a sequence, JSON) and
/// <c>GET /api/logs/{dc}/download?filters[&amp;source=search]</c> (text/plain: the filtered buffered lines, or a historical
/// search's hits streamed as they are found). A bad parameter is a 400 naming it; a datacenter without logs a 404; one
/// the user may not read a 403.
/// </summary>
public static class LogEndpoints
{
    public const int DefaultMax = 1000;
    public const int MaxMax = 10_000;
    public const int MaxSearchResults = 100_000;
    public const int DefaultSearchResults = 10_000;

    public static IEndpointRouteBuilder MapLogApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/logs/status", (HttpContext http, LogDatacenters datacenters, TraceLogTailService tails, TimeProvider time) =>
            {
                var now = time.GetUtcNow();
                var list = datacenters.For(http.User).Select(dc => StatusJson(dc, tails.StatusOf(dc.Id), now)).ToList();
                return Results.Json(new { pollIntervalMs = tails.PollInterval.TotalMilliseconds, datacenters = list }, EstateJson.Options);
            })
            .RequireAuthorization(ConsolePolicies.Support)
            .WithName("GetLogStatus");

        endpoints.MapGet("/api/logs/{dc}", async (string dc, HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, TraceLogTailService tails, TimeProvider time,
                ApimConsole.Web.Peer.PeerLogRelay relay) =>
            {
                if (Check(dc, http, datacenters) is { } refused)
                    return refused;
                // Cut off from that datacenter (the link is down): its own console reads its logs, for a user checked here.
                if (relay.ShouldRelay(dc, tails.StatusOf(dc)))
                    return await relay.LinesAsync(dc, http);
                return Lines(dc, http, datacenters, buffer, tails, time);
            })
            .RequireAuthorization(ConsolePolicies.Support)
            .WithName("GetLogLines");

        // The console in the other datacenter reads this one's own datacenter's lines (its peer token only).
        endpoints.MapGet("/api/peer/logs", (HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, TraceLogTailService tails, TimeProvider time,
                Microsoft.Extensions.Options.IOptions<ApimConsole.Core.Configuration.EstateOptions> estate) =>
                datacenters.Find(estate.Value.ConsoleDatacenter) is null
                    ? Results.Json(new { errors = new[] { "This console's datacenter has no logs configured." } }, EstateJson.Options, statusCode: 404)
                    : Lines(estate.Value.ConsoleDatacenter, http, datacenters, buffer, tails, time))
            .RequireAuthorization(ConsolePolicies.Peer)
            .WithName("GetPeerLogLines");

        endpoints.MapGet("/api/logs/{dc}/download", async (string dc, HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, IServiceProvider services,
                TraceLogTailService tails, ApimConsole.Web.Peer.PeerLogRelay relay) =>
            {
                if (Check(dc, http, datacenters) is { } refused)
                {
                    await refused.ExecuteAsync(http);
                    return;
                }
                if (relay.ShouldRelay(dc, tails.StatusOf(dc)))
                {
                    await relay.DownloadAsync(dc, http);
                    return;
                }
                await DownloadAsync(dc, http, datacenters, buffer, services);
            })
            .RequireAuthorization(ConsolePolicies.Support)
            .WithName("DownloadLogLines");

        endpoints.MapGet("/api/peer/logs/download", async (HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, IServiceProvider services,
                Microsoft.Extensions.Options.IOptions<ApimConsole.Core.Configuration.EstateOptions> estate) =>
            {
                var own = estate.Value.ConsoleDatacenter;
                if (datacenters.Find(own) is null)
                {
                    await Results.Json(new { errors = new[] { "This console's datacenter has no logs configured." } }, EstateJson.Options, statusCode: 404).ExecuteAsync(http);
                    return;
                }
                await DownloadAsync(own, http, datacenters, buffer, services);
            })
            .RequireAuthorization(ConsolePolicies.Peer)
            .WithName("DownloadPeerLogLines");
        return endpoints;
    }

    /// <summary>Buffered lines of <paramref name="dc"/> after a sequence, filtered (the caller checked who may read them).</summary>
    private static IResult Lines(string dc, HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, TraceLogTailService tails, TimeProvider time)
    {
                var datacenter = datacenters.Find(dc)!;
                var errors = new List<string>();
                var filter = LogFilter.Parse(name => http.Request.Query[name].ToString(), datacenter.Zone, out var filterErrors);
                errors.AddRange(filterErrors);
                var after = Number(http.Request, "after", 0, long.MaxValue, 0, errors);
                var max = (int)Number(http.Request, "max", 1, MaxMax, DefaultMax, errors);
                if (errors.Count > 0)
                    return Problem(errors);

                // Scan forward from 'after' until 'max' matches or the end; 'next' is where a client continues.
                var records = new List<object>();
                var next = after;
                while (records.Count < max)
                {
                    var batch = buffer.ReadAfter(next, 10_000);
                    if (batch.Count == 0)
                        break;
                    foreach (var record in batch)
                    {
                        next = record.Sequence;
                        if (record.DatacenterId == dc && filter!.Matches(record))
                        {
                            records.Add(LogRecordJson.ToJson(record));
                            if (records.Count == max)
                                break;
                        }
                    }
                }
                return Results.Json(new
                {
                    dc,
                    zone = datacenter.ZoneLabel(time.GetUtcNow()),
                    next,
                    lastSequence = buffer.LastSequence,
                    status = StatusJson(datacenter, tails.StatusOf(dc), time.GetUtcNow()),
                    // How far back the buffer holds this datacenter's lines: the other console says so when it relays them.
                    held = TraceHeldSpanJson.ToJson(buffer.HeldSpan(dc)),
                    records,
                }, EstateJson.Options);
    }

    /// <summary>The filtered buffered lines, or a historical search's hits, as text (the caller checked who may read them).</summary>
    private static async Task DownloadAsync(string dc, HttpContext http, LogDatacenters datacenters, TraceLogBuffer buffer, IServiceProvider services)
    {
                var datacenter = datacenters.Find(dc)!;
                var filter = LogFilter.Parse(name => http.Request.Query[name].ToString(), datacenter.Zone, out var filterErrors);
                var errors = filterErrors.ToList();
                var source = http.Request.Query["source"].ToString();
                if (source.Length > 0 && source is not ("buffer" or "search"))
                    errors.Add($"source '{(source.Length > 40 ? source[..40] + "…" : source)}' is not buffer or search.");
                var max = (int)Number(http.Request, "max", 1, MaxSearchResults, DefaultSearchResults, errors);
                if (errors.Count > 0)
                {
                    await Problem(errors).ExecuteAsync(http);
                    return;
                }

                http.Response.ContentType = "text/plain; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"{dc}-logs-{(source == "search" ? "search" : "live")}.txt\"";
                var cancellationToken = http.RequestAborted;
                if (source == "search")
                {
                    var search = services.GetService<ITraceLogSearch>();
                    if (search is null)
                    {
                        http.Response.StatusCode = StatusCodes.Status501NotImplemented;
                        await http.Response.WriteAsync("Historical search is not available in this console.\n", cancellationToken);
                        return;
                    }
                    await StreamSearchAsync(http.Response, search, filter!.ToSearchQuery(dc, max), cancellationToken);
                    return;
                }
                var view = new LiveLogView(buffer, dc, filter!);
                view.Refresh();
                var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024);
                await using (writer.ConfigureAwait(false))
                {
                    await writer.WriteAsync($"# {datacenter.Name} ({dc}) trace lines held by the console, times in {datacenter.ZoneLabel(DateTimeOffset.UtcNow)}; filter: {(filter!.IsEmpty ? "none" : filter.ToQueryString())}\n");
                    foreach (var record in view.Lines)
                        await writer.WriteAsync(LogLineText.Format(record) + "\n");
                }
    }

    private static async Task StreamSearchAsync(HttpResponse response, ITraceLogSearch search, TraceSearchQuery query, CancellationToken cancellationToken)
    {
        TraceSearchProgress? last = null;
        var progress = new LastProgress(p => last = p);
        IAsyncEnumerator<TraceLogRecord> hits;
        try
        {
            hits = search.SearchAsync(query, progress, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (ArgumentException e)
        {
            await Problem([e.Message]).ExecuteAsync(response.HttpContext);
            return;
        }
        await using (hits.ConfigureAwait(false))
        {
            bool more;
            try
            {
                more = await hits.MoveNextAsync();
            }
            catch (ArgumentException e)
            {
                // Query checks happen when the search starts: nothing was written yet, so this is still a 400.
                await Problem([e.Message]).ExecuteAsync(response.HttpContext);
                return;
            }
            await response.WriteAsync($"# search of {query.DatacenterId}'s trace files\n", cancellationToken);
            var written = 0;
            try
            {
                while (more)
                {
                    await response.WriteAsync(LogLineText.Format(hits.Current) + "\n", cancellationToken);
                    // Hits stream as they are found: flush now and then so a long search shows progress.
                    if (++written % 100 == 1)
                        await response.Body.FlushAsync(cancellationToken);
                    more = await hits.MoveNextAsync();
                }
            }
            catch (Exception e) when (e is TraceLogSourceException or IOException or HttpRequestException)
            {
                await response.WriteAsync($"# search stopped: {e.Message}\n", cancellationToken);
                return;
            }
            var summary = last is null ? $"{written} hit(s)" :
                $"{last.Hits} hit(s) in {last.FilesSearched} of {last.FilesTotal} file(s){(last.Truncated ? $", stopped at {query.MaxResults}" : "")}{(last.Error is null ? "" : $"; stopped: {last.Error}")}";
            await response.WriteAsync($"# end of search: {summary}\n", cancellationToken);
        }
    }

    private sealed class LastProgress(Action<TraceSearchProgress> report) : IProgress<TraceSearchProgress>
    {
        public void Report(TraceSearchProgress value) => report(value);
    }

    /// <summary>404 for a datacenter without logs, 403 for one the user may not read; null when it may go on.</summary>
    private static IResult? Check(string dc, HttpContext http, LogDatacenters datacenters)
    {
        if (datacenters.Find(dc) is null)
            return Results.Json(new { errors = new[] { $"No datacenter '{(dc.Length > 40 ? dc[..40] + "…" : dc)}' has logs configured." } }, EstateJson.Options, statusCode: 404);
        if (!DatacenterAccess.Allows(http.User, dc))
            return Results.Json(new { errors = new[] { $"You may not read {dc}'s logs." } }, EstateJson.Options, statusCode: 403);
        return null;
    }

    private static long Number(HttpRequest request, string name, long min, long max, long fallback, List<string> errors)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
            return fallback;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        errors.Add($"{name} '{(text.Length > 40 ? text[..40] + "…" : text)}' must be a whole number between {min} and {max}.");
        return fallback;
    }

    private static IResult Problem(IEnumerable<string> errors) => Results.Json(new { errors = errors.ToArray() }, EstateJson.Options, statusCode: 400);

    public static object StatusJson(LogDatacenter dc, TraceTailStatus? status, DateTimeOffset now) => new
    {
        id = dc.Id,
        name = dc.Name,
        zone = dc.ZoneLabel(now),
        tailed = status is not null,
        reachable = status?.Reachable ?? false,
        error = status?.Error,
        lastSuccess = status?.LastSuccess,
        unreachableSince = status?.UnreachableSince,
        notes = status?.Notes ?? [],
    };
}
