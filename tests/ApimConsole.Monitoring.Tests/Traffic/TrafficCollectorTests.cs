using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Traffic;

/// <summary>The collector against a scripted ANM (an HttpMessageHandler) and a clock the test moves.</summary>
public sealed class TrafficCollectorTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ScriptedAnm _anm = new();
    private readonly MemoryTrafficStore _store = new();
    private readonly TrafficHistory _history = new();
    private readonly RecentTransactions _recent = new();
    private readonly TrafficCollector _collector;

    public TrafficCollectorTests() => _collector = NewCollector(_history, _recent);

    /// <summary>A collector on this test's store, clock and ANM: a second one is the console after a restart.</summary>
    private TrafficCollector NewCollector(TrafficHistory history, RecentTransactions recent)
    {
        var estate = new EstateOptions
        {
            Name = "test",
            ConsoleDatacenter = "dc1",
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", AdminNodeManager = new() { Urls = ["http://anm.dc1.test:8090"], Username = "admin", Password = "pw" } },
                new DatacenterOptions { Id = "dc2", AdminNodeManager = new() { Urls = ["http://anm.dc2.test:8090"], Username = "admin", Password = "pw" } },
            ],
        };
        return new TrafficCollector(Options.Create(estate), Options.Create(new TrafficOptions()), new StaticEstate(Estate(T0)), _store,
            history, recent, _time, NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(_anm));
    }

    public void Dispose() => _collector.Dispose();

    [Fact]
    public async Task Polls_ReadEachTransactionOnce_DespiteTheOverlap()
    {
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-2)));
        await _collector.PollAsync("dc1", default);
        Assert.Equal(1, _recent.Count);

        _time.Advance(TimeSpan.FromSeconds(5));
        // Recorded at completion: a transaction that started before the last poll appears only now.
        _anm.Add("dc1", "instance-2", Tx(2, T0.AddSeconds(-1)));
        _anm.Add("dc1", "instance-1", Tx(3, T0.AddSeconds(3)));
        await _collector.PollAsync("dc1", default);

        Assert.Equal(3, _recent.Count);
        Assert.Equal(3, _recent.Search(new TransactionQuery { Limit = 100 }).Select(t => t.CorrelationId).Distinct().Count());
        // Steady polls ask for the interval plus the overlap (16 s), in the traffic monitor's unit: whole minutes.
        Assert.Contains("ago=1m", _anm.Requests.Last(r => r.Contains("ops/search")));
        Assert.Contains("protocol=http", _anm.Requests.Last(r => r.Contains("ops/search")));
        Assert.Contains("count=1000", _anm.Requests.Last(r => r.Contains("ops/search")));
        var view = _history.Views(TrafficWindow.TenMinutes, _time.GetUtcNow(), ["dc1"]).Single();
        Assert.Equal(3, view.Series.Points.Sum(p => p.Count));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:pw")), _anm.LastAuthorization);
    }

    [Fact]
    public async Task DeadAnm_IsAGapWithTheReason_AndTheOtherDatacenterIsRead()
    {
        _anm.Dead.Add("dc2");
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        await _collector.PollAsync("dc1", default);
        await _collector.PollAsync("dc2", default);

        var status = _collector.Status().ToDictionary(s => s.DatacenterId);
        Assert.True(status["dc1"].Collected);
        Assert.False(status["dc2"].Collected);
        Assert.Contains("connection refused", status["dc2"].Reason);
        var dc2 = _history.Coverage("dc2").Single();
        Assert.False(dc2.Collected);

        await _collector.FlushAsync(default);
        Assert.Contains(_store.Coverage, s => s.DatacenterId == "dc2" && !s.Collected && s.Reason!.Contains("connection refused"));
        Assert.Contains(_store.Cells, c => c.Key.DatacenterId == "dc1");
    }

    [Fact]
    public async Task MalformedAnswer_IsAGap_AndChangesNothing()
    {
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        _anm.Malformed["instance-2"] = """{"data":[{"correlationId":"zz-not-hex","timestamp":1,"duration":1,"status":200,"finalStatus":"Pass"}]}""";
        await _collector.PollAsync("dc1", default);

        Assert.Equal(0, _recent.Count);
        Assert.Equal(0, _history.Version - 1); // only the coverage was recorded
        var status = _collector.Status().Single(s => s.DatacenterId == "dc1");
        Assert.False(status.Collected);
        Assert.Contains("instance-2", status.Reason);
        Assert.Contains("correlationId", status.Reason);
    }

    [Fact]
    public async Task HungAnm_TimesOut_WithoutBlockingThePoller()
    {
        _anm.Hung.Add("dc2");
        var poll = _collector.PollAsync("dc2", default);
        // The request timeout runs on the collector's clock: move it past 5 s and the poll ends as a gap.
        await Eventually.Until(() => _anm.Waiting > 0, TimeSpan.FromSeconds(10), "the poll to wait on the ANM", every: TimeSpan.FromMilliseconds(1));
        _time.Advance(TimeSpan.FromSeconds(6));
        await poll.WaitAsync(TimeSpan.FromSeconds(10));
        var status = _collector.Status().Single(s => s.DatacenterId == "dc2");
        Assert.False(status.Collected);
        Assert.Contains("no answer within 5000 ms", status.Reason);
    }

    [Fact]
    public async Task StoppedInstance_DoesNotMakeAGap_ItServesNothing()
    {
        _anm.Stopped.Add("instance-2");
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        await _collector.PollAsync("dc1", default);
        var status = _collector.Status().Single(s => s.DatacenterId == "dc1");
        Assert.True(status.Collected);
        Assert.Contains("503", status.Instances["instance-2"].Problem);
        Assert.Equal(1, _recent.Count);
    }

    [Fact]
    public async Task SummaryAndTimelineInAShapeNotRead_AreTheDatacentersStatusWithTheReason_NotZeros()
    {
        // The console's old reading: counters straight under result. A real ANM puts them under result.summaryMetrics.
        _anm.SummaryAnswer = """{"result":{"successes":5,"failures":1,"numMessagesProcessed":6}}""";
        _anm.TimelineAnswer = """{"result":{"pointStart":0,"pointInterval":10000,"series":{"successes":[1,2],"failures":[0,1]}}}""";
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        await _collector.PollAsync("dc1", default);

        var status = _collector.Status().Single(s => s.DatacenterId == "dc1");
        // The transactions were read: the poll covers its time. The instances' own figures are not shown as zeros.
        Assert.True(status.Collected);
        Assert.Equal(1, _recent.Count);
        Assert.All(status.Instances.Values, i => Assert.Null(i.Summary));
        Assert.All(status.Instances.Values, i => Assert.Null(i.Timeline));
        Assert.All(status.Instances.Values, i => Assert.Contains("the ANM answered monitoring/summary in a shape this console does not read: no 'result.summaryMetrics' object", i.Problem));
        Assert.Contains(status.Problems, p => p.Contains("monitoring/summary in a shape this console does not read") && p.Contains("instance-1"));
        Assert.Contains(status.Problems, p => p.Contains("monitoring/metrics/timeline in a shape this console does not read: 'series' is an object"));

        // Once the ANM answers in the reference's shape, the figures come and the problems go.
        _anm.SummaryAnswer = new ScriptedAnm().SummaryAnswer;
        _anm.TimelineAnswer = new ScriptedAnm().TimelineAnswer;
        _time.Advance(TimeSpan.FromMinutes(1));
        await _collector.PollAsync("dc1", default);
        status = _collector.Status().Single(s => s.DatacenterId == "dc1");
        Assert.Empty(status.Problems);
        Assert.All(status.Instances.Values, i => Assert.Equal((6L, 4L), (i.Summary!.Processed, i.Timeline!.Total)));
    }

    [Fact]
    public async Task FullAnswer_CoversOnlyFromItsOldestTransaction()
    {
        using var collector = new TrafficCollector(
            Options.Create(new EstateOptions { Datacenters = [new DatacenterOptions { Id = "dc1", AdminNodeManager = new() { Urls = ["http://anm.dc1.test"] } }] }),
            Options.Create(new TrafficOptions { MaxTransactionsPerPoll = 2 }), new StaticEstate(Estate(T0)), _store, _history, _recent, _time,
            NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(_anm));
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        _anm.Add("dc1", "instance-1", Tx(2, T0.AddSeconds(-3)));
        await collector.PollAsync("dc1", default);
        // Two rows is the maximum: what came before the older one may be missing, so it is not claimed.
        Assert.Equal(T0.AddSeconds(-3), _history.Coverage("dc1").Single().From);
        Assert.Equal(2, _recent.Count);
    }

    /// <summary>
    /// A web application is stopped twice at once (its own Run ends with a stop while the test host stops it): the
    /// second stop used to return while the first one's final flush still wrote, and the test then removed the store
    /// under it ("unable to open database file" in the log of a passing run).
    /// </summary>
    [Fact]
    public async Task StoppedTwiceAtOnce_NeitherStopReturns_BeforeTheOneFinalFlushIsDone()
    {
        var prune = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.HoldPrune = prune.Task;

        var first = _collector.StopAsync(CancellationToken.None);
        var second = _collector.StopAsync(CancellationToken.None);
        await Eventually.Until(() => _store.Prunes == 1, TimeSpan.FromSeconds(10), "the final flush to reach the prune");
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        prune.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _store.Prunes);
    }

    [Fact]
    public async Task FailedStoreWrite_IsRetriedAtTheNextFlush_Once_AndItsCoverageWaitsForIt_SoARestartShowsAGap_NeverZero()
    {
        _anm.Add("dc1", "instance-1", Tx(1, T0.AddSeconds(-1)));
        await _collector.PollAsync("dc1", default);
        _store.Fail = true;
        await _collector.FlushAsync(default);

        // The store holds neither: a span claiming the minute collected would read back as a minute of no traffic.
        Assert.Empty(_store.Cells);
        Assert.Empty(_store.Coverage);
        var restarted = new TrafficHistory();
        using (var console = NewCollector(restarted, new RecentTransactions()))
            await console.LoadHistoryAsync(default);
        var minute = restarted.Views(TrafficWindow.TenMinutes, T0, ["dc1"]).Single().Series.Points.Single(p => p.Start == T0.AddMinutes(-1));
        Assert.Contains("not collecting", minute.GapReason);

        _store.Fail = false;
        await _collector.FlushAsync(default);
        Assert.Equal(1, _store.Cells.Single().Value.Count);
        Assert.Contains(_store.Coverage, s => s.DatacenterId == "dc1" && s.Collected && s.To == T0);
        await _collector.FlushAsync(default);
        Assert.Equal(1, _store.Cells.Single().Value.Count);
    }

    [Fact]
    public async Task History_IsReadBackFromTheStore_AtStart()
    {
        var stats = new TrafficStats();
        stats.Add(new TrafficTransaction("dc1", "instance-1", "ab", T0.AddMinutes(-3), 12, 200, "GET", "/orders/v1", null, "Pass"));
        await _store.AddCellsAsync([new(new TrafficMinuteKey("dc1", "instance-1", "/orders/v1", T0.AddMinutes(-3)), stats)], default);
        await _store.SaveCoverageAsync([new CoverageSpan("dc1", T0.AddMinutes(-5), T0.AddMinutes(-1), true, null)], default);

        await _collector.LoadHistoryAsync(default);

        Assert.True(_collector.HistoryLoaded);
        var view = _history.Views(TrafficWindow.TenMinutes, T0, ["dc1"]).Single();
        Assert.Equal(1, view.Series.Points.Sum(p => p.Count));
        // The minute since the console stopped is a gap: nobody was collecting.
        Assert.Contains("not collecting", view.Series.Points.Single(p => p.Start == T0.AddMinutes(-1)).GapReason);
    }

    [Fact]
    public async Task CollectionResumingAfterAGap_CountsNoTransactionFromTheGap_SoItsMinuteShowsNoSpike()
    {
        // Issue #21: dc2 served 10 req/s all along (5 per instance); the console could not read it from 14:02:03 until
        // 14:05:52. The first poll after the gap covered from 14:05:50; the second one's overlap reached back to
        // 14:05:45 and counted five seconds of the gap against ten covered seconds: 15 req/s instead of 10 here (19.3 in
        // the lab, where the return fell later in its minute).
        var n = 0;
        var next = T0;
        for (var poll = 0; poll < 12 * 10; poll++)
        {
            var now = _time.GetUtcNow();
            for (; next < now; next = next.AddMilliseconds(100))
                _anm.Add("dc2", n % 2 == 0 ? "instance-3" : "instance-4", Tx(++n, next));
            if (now >= T0.AddMinutes(2).AddSeconds(3) && now < T0.AddMinutes(5).AddSeconds(52))
                _anm.Dead.Add("dc2");
            else
                _anm.Dead.Remove("dc2");
            await _collector.PollAsync("dc2", default);
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        var points = _history.Views(TrafficWindow.TenMinutes, _time.GetUtcNow(), ["dc2"]).Single().Series.Points;
        var resumed = points.Single(p => p.Start == T0.AddMinutes(5));
        Assert.Equal(10.0, resumed.RequestsPerSecond!.Value, 3);
        Assert.All(points.Where(p => p.RequestsPerSecond is not null), p => Assert.Equal(10.0, p.RequestsPerSecond!.Value, 3));
        Assert.Contains(points, p => p.GapReason is not null);
    }

    private static object Tx(int n, DateTimeOffset started) => new
    {
        correlationId = n.ToString("x24"),
        timestamp = started.ToUnixTimeMilliseconds(),
        duration = 12,
        status = 200,
        method = "GET",
        uri = "/orders/v1/items/" + n,
        serviceName = "Orders API",
        operation = "getItems",
        remoteAddr = "127.0.0.1",
        bytesSent = 10,
        bytesReceived = 0,
        finalStatus = "Pass",
        leg = 0,
    };

    private static EstateSnapshot Estate(DateTimeOffset at)
    {
        DatacenterSnapshot Dc(string id, int first) => new(id, id, DatacenterState.Up, at, null,
            [new ComponentStatus(id, "anm", "anm", ComponentKind.AdminNodeManager, ComponentState.Up, at, null)],
            [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
            [
                new GatewayInstanceStatus(id, $"instance-{first}", "a", ComponentState.Up, at, null, "group-3", "h", "Running"),
                new GatewayInstanceStatus(id, $"instance-{first + 1}", "b", ComponentState.Up, at, null, "group-3", "h", "Running"),
            ])],
            []);
        return new EstateSnapshot(at, "test", "dc1", [Dc("dc1", 1), Dc("dc2", 3)], new InterDatacenterLink(LinkState.Up, at, null), null);
    }

    private sealed class StaticEstate(EstateSnapshot snapshot) : IEstateStatus
    {
        public EstateSnapshot Current => snapshot;
        public FeedSubscription<EstateSnapshot> Subscribe(int capacity = 16) => new LiveFeed<EstateSnapshot>(snapshot).Subscribe(capacity);
    }

    /// <summary>Answers like a lab ANM's router: ops/search from a list per instance, summary and timeline.</summary>
    private sealed class ScriptedAnm : HttpMessageHandler
    {
        private readonly Dictionary<string, List<object>> _transactions = [];
        public HashSet<string> Dead { get; } = [];
        public HashSet<string> Hung { get; } = [];
        public HashSet<string> Stopped { get; } = [];
        public Dictionary<string, string> Malformed { get; } = [];
        public string SummaryAnswer { get; set; } = """{"result":{"id":"instance-1","summaryMetrics":{"numMessages":6,"successes":5,"failures":1,"exceptions":0,"uptime":60}}}""";
        public string TimelineAnswer { get; set; } = """{"result":{"name":"successes","series":[{"name":"successes","pointInterval":5000,"pointStart":0,"data":[1.0,2.0]},{"name":"failures","pointInterval":5000,"pointStart":0,"data":[0.0,1.0]}]}}""";
        public List<string> Requests { get; } = [];
        public string? LastAuthorization { get; private set; }
        private int _waiting;
        public int Waiting => Volatile.Read(ref _waiting);

        public void Add(string dc, string instance, object transaction)
        {
            lock (_transactions)
            {
                if (!_transactions.TryGetValue(instance, out var list))
                    _transactions[instance] = list = [];
                list.Add(transaction);
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            lock (Requests)
                Requests.Add(uri.PathAndQuery);
            LastAuthorization = request.Headers.Authorization?.ToString();
            var dc = uri.Host.Split('.')[1];
            if (Dead.Contains(dc))
                throw new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused));
            if (Hung.Contains(dc))
            {
                Interlocked.Increment(ref _waiting);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            var parts = uri.AbsolutePath.Split('/');
            var instance = parts[4];
            if (Stopped.Contains(instance))
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("""{"errors":[{"code":503,"message":"refused"}]}""") };
            string body;
            if (uri.AbsolutePath.EndsWith("/ops/search", StringComparison.Ordinal))
            {
                if (Malformed.TryGetValue(instance, out var bad))
                    body = bad;
                else
                    lock (_transactions)
                        body = JsonSerializer.Serialize(new { data = _transactions.GetValueOrDefault(instance) ?? [] });
            }
            else if (uri.AbsolutePath.EndsWith("/summary", StringComparison.Ordinal))
                body = SummaryAnswer;
            else
                body = TimelineAnswer;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }
}

/// <summary>An in-memory <see cref="ITrafficStore"/> that merges like the real one, and can be told to fail.</summary>
internal sealed class MemoryTrafficStore : ITrafficStore
{
    public Dictionary<TrafficMinuteKey, TrafficStats> Cells { get; } = [];
    public List<CoverageSpan> Coverage { get; } = [];
    public bool Fail { get; set; }

    public Task AddCellsAsync(IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells, CancellationToken cancellationToken)
    {
        if (Fail && cells.Count > 0)
            throw new InvalidOperationException("store down");
        foreach (var (key, stats) in cells)
        {
            if (!Cells.TryGetValue(key, out var existing))
                Cells[key] = existing = new TrafficStats();
            existing.Merge(stats);
        }
        return Task.CompletedTask;
    }

    public Task SaveCoverageAsync(IReadOnlyList<CoverageSpan> spans, CancellationToken cancellationToken)
    {
        foreach (var span in spans)
        {
            Coverage.RemoveAll(s => s.DatacenterId == span.DatacenterId && s.From == span.From);
            Coverage.Add(span);
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<TrafficCell> ReadCellsAsync(DateTimeOffset from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var (key, stats) in Cells.Where(c => c.Key.Minute >= from).ToList())
            yield return new TrafficCell(key.DatacenterId, key.InstanceId, key.ApiPath, key.Minute, stats);
    }

    public Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CoverageSpan>>(Coverage.Where(s => s.To >= from).OrderBy(s => s.From).ToList());

    private int _prunes;

    /// <summary>When set, a prune waits for it (a slow store).</summary>
    public Task? HoldPrune { get; set; }

    /// <summary>How many prunes began.</summary>
    public int Prunes => Volatile.Read(ref _prunes);

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _prunes);
        if (HoldPrune is { } hold)
            await hold;
        return Coverage.RemoveAll(s => s.To < before);
    }
}
