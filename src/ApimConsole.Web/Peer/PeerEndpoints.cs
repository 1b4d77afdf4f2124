using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Monitoring.Peer;
using ApimConsole.Storage;
using ApimConsole.Web.Api;
using ApimConsole.Web.Hosting;
using ApimConsole.Web.Security;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Peer;

/// <summary>
/// One console per datacenter: the view this console serves its peer (<c>GET /api/peer/view</c>), and the
/// <c>Peer</c> section (the other console's URL and read-only token), validated at start.
/// </summary>
public static class PeerEndpoints
{
    public static IServiceCollection AddPeerConsole(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PeerOptions>()
            .BindChecked(configuration.GetSection(PeerOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PeerOptions>>(sp =>
        {
            var estate = sp.GetRequiredService<IOptions<EstateOptions>>();
            return new ConsoleOptionsValidation<PeerOptions>(o => o.Validate(estate.Value.ConsoleDatacenter, estate.Value.Datacenters.Select(d => d.Id)));
        });
        // Peer:CaFile is read at start here, not in Core.
        services.AddSingleton<IValidateOptions<PeerOptions>>(new ConsoleOptionsValidation<PeerOptions>(ApimConsole.Monitoring.EstateFileChecks.Validate));
        services.AddSingleton<PeerViews>();
        services.AddSingleton<PeerDeploymentExclusion>();
        services.AddSingleton<PeerLogRelay>();
        services.AddSingleton<IPeerReads>(sp => sp.GetRequiredService<PeerLogRelay>());
        return services;
    }

    public static IEndpointRouteBuilder MapPeerConsole(this IEndpointRouteBuilder endpoints)
    {
        // Read-only, Viewer: what the peer console reads every Peer:Interval, with a token of that role.
        endpoints.MapGet(PeerProtocol.ViewPath, async (PeerViews views, CancellationToken cancellationToken) =>
                Results.Json(await views.BuildAsync(cancellationToken), EstateJson.Options))
            .WithName("GetPeerView")
            .RequireAuthorization(ConsolePolicies.Viewer);
        // What this console knows of its peer (for screens and scripts): available or not, why, and since when.
        endpoints.MapGet("/api/peer", (IEstateStatus status) =>
                Results.Json(new { peer = status.Current.Peer, configured = status.Current.Peer is not null }, EstateJson.Options))
            .WithName("GetPeer")
            .RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }
}

/// <summary>Builds this console's view of its own datacenter, as served to the peer.</summary>
public sealed class PeerViews(IEstateStatus status, IOptions<ProbeOptions> probes, IServiceProvider services)
{
    public async Task<PeerView> BuildAsync(CancellationToken cancellationToken)
    {
        var snapshot = status.Current;
        var own = snapshot.Find(snapshot.ConsoleDatacenter)!;
        // Only what this console observed itself: its own datacenter is never a sighting through its peer.
        var failing = own.AllComponents().Count(c => c.Failing);
        PeerLogTail? logs = null;
        if (services.GetService<TraceLogTailService>()?.StatusOf(own.Id) is { } tail)
            logs = new PeerLogTail(tail.Reachable ? "Tailing" : "Unreachable", tail.Error, tail.LastSuccess);
        PeerTraffic? traffic = null;
        if (services.GetService<ApimConsole.Web.Traffic.TrafficReports>() is { } reports
            && reports.Build(ApimConsole.Core.Traffic.TrafficWindow.TenMinutes).Datacenters.FirstOrDefault(d => d.Id == own.Id) is { } ours
            && ours.View.Series.Points.LastOrDefault(p => p.RequestsPerSecond is not null) is { } latest)
            traffic = new PeerTraffic(latest.Start, latest.RequestsPerSecond!.Value, latest.RequestsPerSecond!.Value * (latest.ErrorRate ?? 0));
        return new PeerView(
            PeerProtocol.ConsoleVersion,
            own.Id,
            snapshot.AsOf,
            probes.Value.Interval + probes.Value.Timeout,
            failing,
            own with { SeenBy = null },
            traffic,
            logs,
            await RunningDeploymentAsync(cancellationToken));
    }

    /// <summary>A deployment of this console that is queued or pushing (the deployment exclusion reads the peer's).</summary>
    public async Task<PeerDeployment> RunningDeploymentAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<DeploymentStore>() is not { } store)
            return new PeerDeployment(false);
        var unfinished = await store.UnfinishedAsync(cancellationToken);
        if (unfinished.Count == 0)
            return new PeerDeployment(false);
        var d = unfinished[^1];
        return new PeerDeployment(true, d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"{d.Kind} {d.FileNames} to {d.GroupName} ({d.State}), requested by {d.RequestedBy}", d.RequestedAt);
    }
}
