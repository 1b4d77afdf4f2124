using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Components.Estate;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Components.Pages;

public partial class Overview : EstateComponentBase
{
    [Inject] public required IOptions<ProbeOptions> Probes { get; init; }

    private ITimer? _clock;
    private string? _filterText;
    private bool _showAll;

    /// <summary>"Since" durations are measured from here; a slow tick keeps them moving between changes.</summary>
    private DateTimeOffset Now => Time.GetUtcNow();

    protected override void OnInitialized()
    {
        base.OnInitialized();
        _clock = Time.CreateTimer(_ => RequestRender(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    }

    /// <summary>The snapshot's own classification, so the list and the panels never disagree; advice as of now.</summary>
    private IReadOnlyList<FailoverScenario> Scenarios => Snapshot.Scenarios.At(Now);

    /// <summary>A large estate is grouped, counted and filterable; a small one shows every component as it always has.</summary>
    private bool Large => OverviewFilter.IsLarge(Snapshot);

    private OverviewFilter Filter => new(_filterText, _showAll);

    private void FilterChanged(string? text) => _filterText = text;

    private void ShowAllChanged(bool showAll) => _showAll = showAll;

    /// <summary>What the restart order allows now for each Down gateway instance of <paramref name="dc"/>.</summary>
    private IReadOnlyList<RestartDecision> DownInstances(DatacenterSnapshot dc)
    {
        var down = dc.GatewayInstances.Where(i => i.State == ComponentState.Down).Select(i => i.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return down.Count == 0 ? [] : RestartPolicy.Evaluate(Snapshot).Where(d => down.Contains(d.Key)).ToList();
    }

    /// <summary>Without a status round for this long (four probe intervals, at least 5 s) the page says it is not live.</summary>
    private TimeSpan StaleAfter => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, 4 * Probes.Value.Interval.Ticks));

    private LoadBalancerPool? PoolOf(string datacenterId) =>
        Snapshot.LoadBalancer is { State: ComponentState.Up } lb
            ? lb.Pools.FirstOrDefault(p => string.Equals(p.DatacenterId, datacenterId, StringComparison.OrdinalIgnoreCase))
            : null;

    public override void Dispose()
    {
        _clock?.Dispose();
        base.Dispose();
    }
}
