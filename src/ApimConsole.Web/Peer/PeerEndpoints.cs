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
        // Read-only, Viewer: what the peer console reads every Peer:Interval, with a token of that role. With freshAfter
        // (PeerProtocol) this console probes its own datacenter first, rate-limited and bounded by wait.
        endpoints.MapGet(PeerProtocol.ViewPath, async (HttpRequest request, PeerViews views, CancellationToken cancellationToken) =>
            {
                if (!PeerViews.TryParseFresh(request.Query, out var fresh, out var error))
                    return Results.Json(new { errors = new[] { error } }, EstateJson.Options, statusCode: StatusCodes.Status400BadRequest);
                return Results.Json(await views.BuildAsync(fresh, cancellationToken), EstateJson.Options);
            })
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
public sealed class PeerViews(IEstateStatus status, IServiceProvider services)
{
    /// <summary>
    /// <c>freshAfter</c> (an ISO 8601 time with its offset) and <c>wait</c> (milliseconds, 0 to
    /// <see cref="PeerProtocol.MaxWait"/>); neither: null. A bad value is an error naming it, and nothing is probed.
    /// </summary>
    public static bool TryParseFresh(IQueryCollection query, out (DateTimeOffset After, TimeSpan Wait)? fresh, out string? error)
    {
        fresh = null;
        error = null;
        var after = query[PeerProtocol.FreshAfterParameter].ToString();
        var wait = query[PeerProtocol.WaitParameter].ToString();
        if (after.Length == 0)
        {
            if (wait.Length > 0)
                error = $"{PeerProtocol.WaitParameter} is only meaningful with {PeerProtocol.FreshAfterParameter}.";
            return error is null;
        }
        if (!DateTimeOffset.TryParse(after, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
            || !after.Contains('T', StringComparison.Ordinal))
        {
            error = $"{PeerProtocol.FreshAfterParameter} '{after}' is not an ISO 8601 time such as 2026-12-06T05:00:00.123+00:00.";
            return false;
        }
        var waitFor = PeerProtocol.DefaultWait;
        if (wait.Length > 0)
        {
            if (!int.TryParse(wait, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
                || ms > PeerProtocol.MaxWait.TotalMilliseconds)
            {
                error = $"{PeerProtocol.WaitParameter} '{wait}' must be a whole number of milliseconds from 0 to {PeerProtocol.MaxWait.TotalMilliseconds:0}.";
                return false;
            }
            waitFor = TimeSpan.FromMilliseconds(ms);
        }
        fresh = (at, waitFor);
        return true;
    }

    public Task<PeerView> BuildAsync(CancellationToken cancellationToken) => BuildAsync(null, cancellationToken);

    /// <summary>
    /// The view; with <paramref name="fresh"/>, assessed once this console's probes of its own datacenter started after
    /// its time have answered (the status engine forces a round, rate-limited), or after its wait.
    /// </summary>
    public async Task<PeerView> BuildAsync((DateTimeOffset After, TimeSpan Wait)? fresh, CancellationToken cancellationToken)
    {
        var snapshot = fresh is { } f && status is IOwnDatacenterEvidence evidence
            ? await evidence.AssessFreshAsync(f.After, f.Wait, cancellationToken)
            : status.Current;
        var own = snapshot.Find(snapshot.ConsoleDatacenter)!;
        // Only what this console observed itself: its own datacenter is never a sighting through its peer.
        var components = own.AllComponents().ToList();
        var falling = components.Count(c => c.Failing && c.State != ComponentState.Down);
        var answered = components.Where(c => c.LastSuccessStarted is not null).ToDictionary(c => c.Key, c => c.LastSuccessStarted!.Value);
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
            falling,
            own with { SeenBy = null },
            answered,
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
