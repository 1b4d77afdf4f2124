using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// The log sources of the estate's datacenters, built once from <see cref="EstateOptions"/>: a directory source or
/// an HTTP source with its own client (a dead log server in one DC holds no connection the other DC needs).
/// </summary>
public sealed class TraceLogSources : ITraceLogSources, IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);

    private readonly Dictionary<string, (ITraceLogSource Source, TimeZoneInfo Zone)> _byDatacenter = new(StringComparer.Ordinal);
    private readonly List<HttpClient> _clients = [];

    public TraceLogSources(IOptions<EstateOptions> estate)
    {
        var ids = new List<string>();
        foreach (var dc in estate.Value.Datacenters)
        {
            var http = new HttpClient(new TransportFailureHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = RequestTimeout }
                .BindTo(EstateSourceAddress.Parse(estate.Value.SourceAddress))));
            var source = DatacenterTraceTail.SourceFor(dc.Logs, http, RequestTimeout);
            if (source is null)
            {
                http.Dispose();
                continue;
            }
            _clients.Add(http);
            var zone = string.IsNullOrWhiteSpace(dc.Logs.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(dc.Logs.TimeZone);
            _byDatacenter[dc.Id] = (source, zone);
            ids.Add(dc.Id);
        }
        DatacenterIds = ids;
    }

    public IReadOnlyList<string> DatacenterIds { get; }

    public ITraceLogSource? For(string datacenterId) =>
        _byDatacenter.TryGetValue(datacenterId, out var entry) ? entry.Source : null;

    public TimeZoneInfo TimeZoneOf(string datacenterId) =>
        _byDatacenter.TryGetValue(datacenterId, out var entry) ? entry.Zone : TimeZoneInfo.Utc;

    public void Dispose()
    {
        foreach (var client in _clients)
            client.Dispose();
    }
}
