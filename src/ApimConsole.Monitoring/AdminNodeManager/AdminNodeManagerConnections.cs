using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>
/// The ANM clients of each configured datacenter (<c>Estate:Datacenters:N:AdminNodeManager</c>), on the
/// <see cref="EstateHttpUse.Anm"/> clients of <see cref="EstateHttpClients"/> (the lenient one for datacenters whose ANM
/// certificate is accepted as is). For callers other than the probes (deployments, deployed versions, restarts), so an
/// action never waits behind a probe. No client-wide timeout: every call carries the caller's deadline.
/// </summary>
public sealed class AdminNodeManagerConnections
{
    private readonly Dictionary<string, IReadOnlyList<AdminNodeManagerClient>> _byDatacenter = new(StringComparer.OrdinalIgnoreCase);

    public AdminNodeManagerConnections(IOptions<EstateOptions> estate, IHttpClientFactory httpClients)
    {
        foreach (var dc in estate.Value.Datacenters)
        {
            var anm = dc.AdminNodeManager;
            var http = httpClients.CreateClient(EstateHttpUse.Anm, anm.AcceptAnyServerCertificate);
            _byDatacenter[dc.Id] = anm.Urls.Select(url => new AdminNodeManagerClient(http, url, anm.Username, anm.Password)).ToList();
        }
        DatacenterIds = estate.Value.Datacenters.Select(d => d.Id).ToList();
    }

    /// <summary>The configured datacenters, in configuration order.</summary>
    public IReadOnlyList<string> DatacenterIds { get; }

    /// <summary>The datacenter's ANM clients in configuration order (empty for an unknown datacenter).</summary>
    public IReadOnlyList<AdminNodeManagerClient> For(string datacenterId) =>
        _byDatacenter.TryGetValue(datacenterId, out var clients) ? clients : [];

    /// <summary>The datacenter's ANM clients, each with the component id the estate snapshot gives it.</summary>
    public IReadOnlyList<(string ComponentId, AdminNodeManagerClient Client)> WithComponentIds(string datacenterId)
    {
        var clients = For(datacenterId);
        return clients.Select((client, i) => (ComponentId(clients.Count, i), client)).ToList();
    }

    /// <summary>The id the estate snapshot gives the <paramref name="index"/>-th of <paramref name="count"/> ANMs of a datacenter.</summary>
    public static string ComponentId(int count, int index) => count == 1 ? "anm" : $"anm-{index + 1}";
}
