using ApimConsole.Core.Live;
using ApimConsole.Lab;
using ApimConsole.Lab.Faults;

namespace ApimConsole.Web.Lab;

/// <summary>
/// <see cref="ILabControl"/> over the embedded lab: the one place outside the lab's hosting that knows its types.
/// It republishes the lab's faults as a live feed; the lab itself tells only this adapter that they changed.
/// </summary>
public sealed class EmbeddedLabControl : ILabControl, IDisposable
{
    /// <summary>Log lines kept in each published state.</summary>
    public const int LogLines = 50;

    private readonly LabEstate _lab;
    private readonly LiveFeed<LabFaultsState> _faults;

    public EmbeddedLabControl(LabEstate lab)
    {
        _lab = lab;
        Datacenters = lab.Endpoints.Datacenters
            .Select(dc => new LabDatacenterTargets(dc.Id, dc.Name,
                [$"{dc.Id}/anm", .. dc.Gateways.Select(g => $"{dc.Id}/{g.InstanceId}"),
                 .. Enumerable.Range(1, dc.CassandraContactPoints.Count).Select(i => $"{dc.Id}/cassandra-{i}")]))
            .ToList();
        // Listen first, then read: a change in between is published again, never lost.
        _lab.Faults.Changed += Republish;
        _faults = new LiveFeed<LabFaultsState>(Read());
    }

    public bool Running => true;

    public string ConsoleDatacenter => _lab.Endpoints.ConsoleDatacenter;

    public IReadOnlyList<LabDatacenterTargets> Datacenters { get; }

    public LabFaultsState Current => _faults.Current;

    public FeedSubscription<LabFaultsState> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _faults.Subscribe(capacity);

    public void Apply(string target, string action, string source)
    {
        try
        {
            _lab.Faults.Apply(target, action, source);
        }
        catch (LabFaultException ex)
        {
            throw new LabControlException(ex.Message);
        }
    }

    public void HealAll(string source) => _lab.Faults.HealAll(source);

    // Read under the feed's own ordering: each change publishes the state as it is then, so the newest is the truth.
    private void Republish() => _faults?.Update(_ => Read());

    private LabFaultsState Read() => new(
        _lab.Faults.Active.Select(f => new LabActiveFault(f.Target, f.Mode.ToString(), f.Since, f.Source)).ToList(),
        _lab.Faults.Log(LogLines).Select(e => new LabFaultLogLine(e.Time, e.Target, e.Action, e.Source)).ToList());

    public void Dispose() => _lab.Faults.Changed -= Republish;
}
