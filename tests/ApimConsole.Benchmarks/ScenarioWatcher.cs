using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using ApimConsole.Core.Estate;
using ApimConsole.Web.Api;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ApimConsole.Benchmarks;

/// <summary>
/// A hub client of a console on Kestrel (<c>/hubs/estate</c>, WebSockets, the Administrator token): every snapshot is
/// timestamped on arrival and read back into the console's own <see cref="EstateSnapshot"/>, so its scenarios are
/// what the console's classifier names for it (the hub message carries the estate; the scenarios are derived from it
/// exactly as every screen derives them).
/// </summary>
internal sealed class ScenarioWatcher : IAsyncDisposable
{
    private readonly HubConnection _hub;
    private readonly Channel<(EstateSnapshot Snapshot, long At)> _snapshots = Channel.CreateUnbounded<(EstateSnapshot, long)>();

    private ScenarioWatcher(HubConnection hub)
    {
        _hub = hub;
        Liveness = new HubLiveness(hub);
        hub.On<JsonElement>("snapshot", message =>
        {
            var at = Stopwatch.GetTimestamp();
            Liveness.Received(at);
            _snapshots.Writer.TryWrite((message.Deserialize<EstateSnapshot>(EstateJson.Options)!, at));
        });
    }

    public HubLiveness Liveness { get; }

    public ChannelReader<(EstateSnapshot Snapshot, long At)> Snapshots => _snapshots.Reader;

    public static async Task<ScenarioWatcher> ConnectAsync(Uri console, string token)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(console, "/hubs/estate"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var watcher = new ScenarioWatcher(hub);
        await hub.StartAsync();
        return watcher;
    }

    /// <summary>Forgets the snapshots received so far.</summary>
    public void Drain()
    {
        while (_snapshots.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>
    /// Waits for the first snapshot that satisfies <paramref name="condition"/> and returns its arrival time; every
    /// snapshot read on the way is shown to <paramref name="inspect"/> first. Throws when none does within <paramref name="timeout"/>.
    /// </summary>
    public async Task<long> WaitAsync(string what, Func<EstateSnapshot, bool> condition, TimeSpan timeout, Action<EstateSnapshot>? inspect = null)
    {
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (snapshot, at) = await _snapshots.Reader.ReadAsync(cts.Token);
                inspect?.Invoke(snapshot);
                if (condition(snapshot))
                    return at;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no snapshot showed {what} within {timeout.TotalSeconds:0} s; the hub connection is {Liveness.Closed ?? "open"}, " +
                                       $"its last message {Liveness.SilentFor(started).TotalSeconds:0.0} s ago");
        }
    }

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();
}
