using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ApimConsole.Lab;
using ApimConsole.Lab.AdminNodeManager;
using ApimConsole.Web.Tests.Deployments;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>
/// Issue #9: <c>kill -9</c> of the console in the middle of a deployment, then a restart on the same store. The lab
/// runs in this test process (outside the console that is killed) with its ANMs holding each push for a while, so the
/// kill lands with a push in flight; the console is a real process (<c>dotnet ApimConsole.Web.dll</c>), killed with
/// SIGKILL. After the restart the deployment shows what each datacenter and instance really reached (the lab's own
/// push log is the truth), nothing is pushed twice, and the audit rows written before the kill are intact.
/// </summary>
public sealed class KillMidDeploymentTests : IAsyncLifetime
{
    private static readonly TimeSpan PushDelay = TimeSpan.FromSeconds(3);
    private readonly string _data = Directory.CreateTempSubdirectory("apimconsole-kill-").FullName;
    private LabEstate _lab = null!;
    private Process? _console;
    private readonly List<string> _output = [];

    private string Store => Path.Combine(_data, "console.db");

    public async Task InitializeAsync() =>
        _lab = await LabEstate.StartAsync(new LabOptions { PushDelay = PushDelay, TrafficRatePerSecond = 0 }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_console is { HasExited: false })
            _console.Kill(entireProcessTree: true);
        _console?.Dispose();
        await _lab.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The console built beside this test (same configuration), as its own process, pointed at the lab.</summary>
    private (Process Process, HttpClient Client) StartConsole()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = bin.Name;
        var configuration = bin.Parent!.Name;
        var root = bin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var consoleDir = Path.Combine(root, "src", "ApimConsole.Web", "bin", configuration, framework);
        var dll = Path.Combine(consoleDir, "ApimConsole.Web.dll");
        Assert.True(File.Exists(dll), $"The console is not built at {dll}");

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = consoleDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        var settings = new Dictionary<string, string?>(_lab.ToConsoleConfiguration())
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["contentRoot"] = consoleDir,
            ["environment"] = "Production",
            ["Lab:Enabled"] = "false",
            ["Estate:Name"] = "Kill test estate",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = Store,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:BootstrapAdminToken"] = TestAuth.BootstrapToken,
            ["Auth:InitialAdminPassword"] = TestAuth.AdminPassword,
        };
        foreach (var (key, value) in settings)
            start.ArgumentList.Add($"--{key}={value}");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        TestAuth.Authorize(client);
        return (process, client);
    }

    private async Task<T> WaitForAsync<T>(Func<Task<(bool Done, T Value)>> check, TimeSpan timeout, string what)
    {
        try
        {
            var (_, value) = await Eventually.Until(async () =>
            {
                try
                {
                    return await check();
                }
                catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException)
                {
                    // Not listening yet. (A connection refused while HttpClient opened it can also surface as a raw
                    // SocketException, "Transport endpoint is not connected", from its reading of the remote end point.)
                    return (false, default!);
                }
            }, result => result.Done, timeout, what, every: TimeSpan.FromMilliseconds(50));
            return value;
        }
        catch (Xunit.Sdk.XunitException timedOut)
        {
            string log;
            lock (_output)
                log = string.Join("\n", _output.TakeLast(40));
            throw new Xunit.Sdk.XunitException($"{timedOut.Message} Console output:\n{log}");
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path) => await client.GetFromJsonAsync<JsonElement>(path);

    private static IEnumerable<(string Dc, string? Instance, string Outcome)> Targets(JsonElement deployment) =>
        deployment.GetProperty("datacenters").EnumerateArray().SelectMany(dc =>
            dc.GetProperty("instances").EnumerateArray().Select(i => (dc.GetProperty("id").GetString()!, (string?)i.GetProperty("id").GetString(), i.GetProperty("outcome").GetString()!))
                .Prepend((dc.GetProperty("id").GetString()!, null, dc.GetProperty("outcome").GetString()!)));

    private async Task<List<(string At, string Action, string Target, string? Details)>> AuditRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Store};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT At, Action, Target, Details FROM AuditEntries ORDER BY Id";
        var rows = new List<(string, string, string, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetValue(0).ToString()!, reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        return rows;
    }

    [Fact]
    public async Task KilledMidPush_RestartReconcilesFromTheAnms_NeverPushesAgain_AuditIntact()
    {
        var (first, client) = StartConsole();
        _console = first;
        using (client)
        {
            // Up, with both datacenters' groups known and the guardrail allowing (everything is up).
            await WaitForAsync(async () =>
            {
                var estate = await GetAsync(client, "/api/estate");
                var groupsKnown = estate.GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("groups").GetArrayLength() == 2);
                var guardrail = await GetAsync(client, "/api/guardrails");
                var notBlocked = guardrail.GetProperty("changes").EnumerateArray().Any()
                                 && guardrail.GetProperty("changes").EnumerateArray().All(c => c.GetProperty("decision").GetString() != "Block");
                return (groupsKnown && notBlocked, true);
            }, TimeSpan.FromSeconds(60), "the console to see the estate and allow deployments");

            var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));
            var form = DeploymentLabFactory.Form("GatewayConfiguration", "group-3", new Dictionary<string, string> { ["confirmWarnings"] = "true" }, ("dmz.fed", fed));
            using var response = await client.PostAsync("/api/deployments", form);
            var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.True(response.StatusCode == HttpStatusCode.Created, created.ToString());
            var id = created.GetProperty("id").GetInt64();

            // Mid-flight: the first instance of dc1 recorded as loaded, the next push held by the lab's ANM.
            await WaitForAsync(async () =>
            {
                var d = await GetAsync(client, $"/api/deployments/{id}");
                return (Targets(d).Any(t => t.Dc == "dc1" && t.Instance is not null && t.Outcome == "Loaded"), true);
            }, TimeSpan.FromSeconds(30), "the first instance of dc1 to be recorded as loaded");
            await WaitForAsync(() => Task.FromResult((_lab.PushesInFlight > 0, true)), TimeSpan.FromSeconds(10), "the next push to be in flight at the lab");
            first.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await first.WaitForExitAsync();
            Assert.NotEqual(0, first.ExitCode);

            // The held push goes on at the lab without its caller; wait until the lab has nothing in flight.
            await WaitForAsync(() => Task.FromResult((_lab.PushesInFlight == 0, true)), TimeSpan.FromSeconds(30), "the lab's pushes in flight to finish");
            var pushesAtKill = _lab.Deployments.Snapshot();
            var auditAtKill = await AuditRowsAsync();
            Assert.Contains(auditAtKill, a => a.Action == "deployment.requested" && a.Details!.StartsWith($"Deployment {id}:"));
            Assert.DoesNotContain(auditAtKill, a => a.Action == "deployment.finished" && a.Target == $"deployment {id}");

            // Restart on the same store.
            var (second, client2) = StartConsole();
            _console = second;
            using (client2)
            {
                var reconciled = await WaitForAsync(async () =>
                {
                    var d = await GetAsync(client2, $"/api/deployments/{id}");
                    return (d.GetProperty("state").GetString() is not ("Pending" or "Running"), d);
                }, TimeSpan.FromSeconds(60), "the restarted console to reconcile the deployment");

                Assert.Equal("Interrupted", reconciled.GetProperty("state").GetString());
                var archiveId = reconciled.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc1").GetProperty("archiveId").GetString();
                Assert.False(string.IsNullOrEmpty(archiveId));

                // Per instance, the console says Loaded exactly where the lab loaded it.
                var loadedAtLab = pushesAtKill.Where(p => p.ArchiveId == archiveId && p.Outcome == DeploymentLog.Loaded)
                    .Select(p => (p.DatacenterId, p.InstanceId)).ToHashSet();
                Assert.NotEmpty(loadedAtLab);
                var instances = Targets(reconciled).Where(t => t.Instance is not null).ToList();
                foreach (var (dc, instance, outcome) in instances)
                    Assert.True((outcome == "Loaded") == loadedAtLab.Contains((dc, instance!)), $"{dc}/{instance}: console says {outcome}; lab loaded: {string.Join(", ", loadedAtLab)}\n{reconciled}");
                Assert.All(loadedAtLab, l => Assert.Contains(instances, i => i.Dc == l.DatacenterId && i.Instance == l.InstanceId));
                // dc2 was never reached.
                Assert.DoesNotContain(pushesAtKill, p => p.DatacenterId == "dc2" && p.ArchiveId == archiveId);
                Assert.All(Targets(reconciled).Where(t => t.Dc == "dc2"), t => Assert.Equal("NotPushed", t.Outcome));
                Assert.Contains("reconciled after restart from the ANM at", reconciled.GetProperty("datacenters").EnumerateArray()
                    .Single(d => d.GetProperty("id").GetString() == "dc1").GetProperty("message").GetString());

                // Never pushed again: the lab received each push once, and nothing since the kill.
                Assert.Equal(pushesAtKill.Count, _lab.Deployments.Snapshot().Count);
                Assert.All(pushesAtKill.GroupBy(p => (p.DatacenterId, p.InstanceId, p.ArchiveId)), g => Assert.Single(g));

                // The audit rows from before the kill are untouched; the reconciliation is appended.
                var auditAfter = await WaitForAsync(async () =>
                {
                    var rows = await AuditRowsAsync();
                    return (rows.Any(a => a.Action == "deployment.reconciled"), rows);
                }, TimeSpan.FromSeconds(10), "the reconciliation's audit entry");
                Assert.Equal(auditAtKill, auditAfter.Take(auditAtKill.Count).ToList());
                var entry = Assert.Single(auditAfter.Skip(auditAtKill.Count), a => a.Action == "deployment.reconciled");
                Assert.Equal($"deployment {id}", entry.Target);
                Assert.StartsWith("Interrupted:", entry.Details);
            }
        }
    }
}
