using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Peer;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>
/// What a peer's <c>?freshAfter=</c> read asks of the status engine (<see cref="IOwnDatacenterEvidence"/>): a probe round
/// of its own datacenter at once, at most one forced round per <see cref="PeerProtocol.ForcedRoundSpacing"/>, the answer
/// bounded by the wait. The real engine probes the lab's dc1 over the network; its clock is fake, so no regular probe
/// comes between the rounds the test asks for, and the lab's own log counts the probes that reached it.
/// </summary>
public sealed class OwnDatacenterEvidenceTests : IAsyncLifetime
{
    private static readonly ProbeOptions Probes = new()
    {
        Interval = TimeSpan.FromSeconds(10),
        FastInterval = TimeSpan.FromSeconds(1),
        Timeout = TimeSpan.FromSeconds(2),
        Fall = 2,
        Rise = 1,
    };

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private LabEstate _lab = null!;
    private EstateHttp _http = null!;
    private StatusEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _lab = await LabEstate.StartAsync(new LabOptions { StartCassandra = false, TrafficRatePerSecond = 0, RecordProbes = true },
            NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var settings = _lab.ToConsoleConfiguration("dc1").Where(kv => !kv.Key.Contains(":Cassandra:", StringComparison.Ordinal));
        var estate = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(EstateOptions.SectionName).Get<EstateOptions>()!;
        estate.LoadBalancer.StatusUrl = "";
        _http = new EstateHttp(Probes);
        _engine = new StatusEngine(Options.Create(estate), Options.Create(Probes), _http, _time, NullLogger<StatusEngine>.Instance);
        await _engine.StartAsync(CancellationToken.None);
        // The first probe of each component, at the fake clock's start: dc1's ANM, then the instances its topology names.
        await Eventually.Until(() => Dc1(_engine.Current) is { Count: > 1 } c && c.All(x => x.State == ComponentState.Up), TimeSpan.FromSeconds(30),
            "every component of dc1 probed and Up", every: TimeSpan.FromMilliseconds(20));
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync(CancellationToken.None);
        _engine.Dispose();
        _http.Dispose();
        await _lab.DisposeAsync();
    }

    private static List<ComponentStatus> Dc1(EstateSnapshot snapshot) => snapshot.Find("dc1")?.AllComponents().ToList() ?? [];

    private Dictionary<string, int> Dc1Probes() => _lab.ProbeLog!.Counts().Where(p => p.Key.StartsWith("dc1/", StringComparison.Ordinal)).ToDictionary();

    private static Dictionary<string, int> Plus(Dictionary<string, int> counts, int n) => counts.ToDictionary(p => p.Key, p => p.Value + n);

    [Fact]
    public async Task AFreshRead_ProbesTheOwnDatacenterAtOnce_AtMostOneForcedRoundPerSpacing_AndIsBounded()
    {
        var before = Dc1Probes();
        Assert.True(before.Count >= 3, $"probes recorded: {string.Join(", ", before.Keys)}");

        // A fresh read: every component probed once more, and the answer shows each answered a probe started after.
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var first = _time.GetUtcNow();
        var snapshot = await _engine.AssessFreshAsync(first, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.All(Dc1(snapshot), c => Assert.True(c.LastSuccessStarted >= first, $"{c.Key} last answered a probe started {c.LastSuccessStarted:O}"));
        Assert.Equal(Plus(before, 1), Dc1Probes());

        // 100 ms later (inside the spacing) another asks for fresher evidence: no forced round; it waits for the regular
        // probes and, as none comes within its wait, answers with what there is once the wait is over.
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var second = _time.GetUtcNow();
        var waiting = _engine.AssessFreshAsync(second, TimeSpan.FromMilliseconds(500), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var bounded = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(Dc1(bounded), c => Assert.True(c.LastSuccessStarted < second, $"{c.Key} answered a probe started {c.LastSuccessStarted:O}"));

        // Past the spacing a read forces a round again. One probe more per component than the first round: the read
        // inside the spacing forced none.
        var third = _time.GetUtcNow();
        var again = await _engine.AssessFreshAsync(third, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.All(Dc1(again), c => Assert.True(c.LastSuccessStarted >= third, c.Key));
        Assert.Equal(Plus(before, 2), Dc1Probes());

        // Evidence already fresh needs no round at all: the answer is immediate and nothing is probed.
        Assert.True(_engine.AssessFreshAsync(third, TimeSpan.FromSeconds(1), CancellationToken.None).IsCompleted);
        Assert.Equal(Plus(before, 2), Dc1Probes());
    }

    [Fact]
    public async Task AHungComponent_DoesNotHoldTheAnswer_BeyondTheWait()
    {
        _lab.Faults.Apply("dc1/instance-1", "hang", "test");
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var after = _time.GetUtcNow();
        var waiting = _engine.AssessFreshAsync(after, TimeSpan.FromMilliseconds(400), CancellationToken.None);
        // The others answer the forced round; instance-1's probe hangs (its timeout is on the fake clock).
        await Eventually.Until(() => _engine.AssessFreshAsync(after, TimeSpan.Zero, CancellationToken.None),
            s => Dc1(s).Count(c => c.LastSuccessStarted >= after) == Dc1(s).Count - 1, TimeSpan.FromSeconds(30),
            "every component of dc1 but instance-1 answered the forced round", every: TimeSpan.FromMilliseconds(20));
        Assert.False(waiting.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(400));
        var answer = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        var hung = Dc1(answer).Single(c => c.Id == "instance-1");
        Assert.True(hung.LastSuccessStarted < after);
        Assert.All(Dc1(answer).Where(c => c.Id != "instance-1"), c => Assert.True(c.LastSuccessStarted >= after, c.Key));
        _lab.Faults.Apply("dc1/instance-1", "up", "test");
    }
}
