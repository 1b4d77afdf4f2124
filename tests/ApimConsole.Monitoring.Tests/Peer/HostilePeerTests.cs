using System.Diagnostics;
using System.Text.Json;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.Peer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.Peer;

/// <summary>A peer console that is hung, refuses the token, runs another version or says the wrong datacenter is "no peer witness", with the reason.</summary>
public sealed class HostilePeerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private static async Task<WebApplication> PeerAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(answer);
        await app.StartAsync();
        return app;
    }

    private static PeerWitnessReader Reader(string url, TimeSpan? timeout = null) => new(
        Options.Create(new PeerOptions { Url = url, Token = "peer-token", Timeout = timeout ?? TimeSpan.FromSeconds(2) }),
        Options.Create(new EstateOptions { ConsoleDatacenter = "dc1" }),
        TimeProvider.System, NullLogger<PeerWitnessReader>.Instance);

    private static string ViewJson(string version, string dc) => JsonSerializer.Serialize(new PeerView(version, dc, T0, 0,
        new DatacenterSnapshot(dc, dc, DatacenterState.Up, T0, null, [], [], []), new Dictionary<string, DateTimeOffset>(), null, null, new PeerDeployment(false)), PeerWitnessReader.Json);

    private static RequestDelegate Json(int status, string body) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    };

    [Fact]
    public async Task AGoodPeer_IsAWitness()
    {
        await using var app = await PeerAsync(Json(200, ViewJson(PeerProtocol.ConsoleVersion, "dc2")));
        using var reader = Reader(app.Urls.First());
        await reader.ReadOnceAsync(CancellationToken.None);
        Assert.True(reader.Current!.Available, reader.Current.Reason);
        Assert.Equal("dc2", reader.Current.Datacenter);
        Assert.NotNull(reader.Current.Evidence);
    }

    [Fact]
    public async Task WhileASilenceWaitsOnThePeer_ReadsAskForEvidenceAfterIt_AndAPeerIgnoringThatIsStillAWitness()
    {
        var queries = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var answer = Json(200, ViewJson(PeerProtocol.ConsoleVersion, "dc2"));
        await using var app = await PeerAsync(context =>
        {
            queries.Enqueue(context.Request.QueryString.ToString());
            return answer(context);
        });
        using var reader = Reader(app.Urls.First());
        await reader.ReadOnceAsync(CancellationToken.None);

        var silent = T0 + TimeSpan.FromMilliseconds(123);
        reader.AwaitEvidence(silent);
        await reader.ReadOnceAsync(CancellationToken.None);
        Assert.True(reader.Current!.Available, reader.Current.Reason);

        reader.AwaitEvidence(null);
        await reader.ReadOnceAsync(CancellationToken.None);
        // The peer may hold the read for half the reader's timeout (2 s here).
        Assert.Equal(["", $"?freshAfter={Uri.EscapeDataString(silent.ToString("O"))}&wait=1000", ""], queries.ToArray());
    }

    [Theory]
    [InlineData(401, null, "the peer refused the token (401): check Peer:Token")]
    [InlineData(403, null, "it needs the Viewer role")]
    [InlineData(404, null, "has no /api/peer/view (404)")]
    [InlineData(500, null, "the peer answered 500")]
    [InlineData(200, "not json", "not the expected JSON")]
    [InlineData(200, "{}", "empty or incomplete")]
    public async Task ARefusingOrBrokenPeer_IsNoWitness_WithTheReason(int status, string? body, string reason)
    {
        await using var app = await PeerAsync(Json(status, body ?? "{}"));
        using var reader = Reader(app.Urls.First());
        await reader.ReadOnceAsync(CancellationToken.None);
        Assert.False(reader.Current!.Available);
        Assert.Contains(reason, reader.Current.Reason);
        Assert.Null(reader.Current.Evidence);
    }

    [Fact]
    public async Task APeerOnAnotherVersion_OrInThisDatacenter_IsNoWitness()
    {
        await using (var app = await PeerAsync(Json(200, ViewJson("0.0.1-other", "dc2"))))
        {
            using var reader = Reader(app.Urls.First());
            await reader.ReadOnceAsync(CancellationToken.None);
            Assert.False(reader.Current!.Available);
            Assert.Contains("the peer runs version 0.0.1-other", reader.Current.Reason);
        }
        await using (var app = await PeerAsync(Json(200, ViewJson(PeerProtocol.ConsoleVersion, "dc1"))))
        {
            using var reader = Reader(app.Urls.First());
            await reader.ReadOnceAsync(CancellationToken.None);
            Assert.False(reader.Current!.Available);
            Assert.Contains("as this console does: check Peer:Url", reader.Current.Reason);
        }
    }

    [Fact]
    public async Task AHungPeer_IsNoWitness_WithinItsTimeout()
    {
        var release = new TaskCompletionSource();
        await using var app = await PeerAsync(async context => await release.Task.WaitAsync(context.RequestAborted));
        using var reader = Reader(app.Urls.First(), TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        await reader.ReadOnceAsync(CancellationToken.None);
        watch.Stop();
        release.TrySetResult();
        Assert.False(reader.Current!.Available);
        Assert.Equal("no answer within 300 ms", reader.Current.Reason);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task APeerThatIsNotThere_IsNoWitness()
    {
        string url;
        await using (var app = await PeerAsync(Json(200, "{}")))
            url = app.Urls.First();
        using var reader = Reader(url);
        await reader.ReadOnceAsync(CancellationToken.None);
        Assert.False(reader.Current!.Available);
        Assert.False(string.IsNullOrEmpty(reader.Current.Reason));
    }
}
