using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.Traffic;

/// <summary>
/// Sends real HTTP requests through the global load balancer at a steady rate across the lab's APIs, so gateways
/// record real transactions and traffic really moves when members fail.
/// </summary>
internal sealed class TrafficGenerator : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly Uri _loadBalancer;
    private readonly IReadOnlyList<LabApiOptions> _apis;
    private readonly double _ratePerSecond;
    private readonly int _concurrency;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _inFlight;
    private long _sent;
    private long _failed;

    public TrafficGenerator(Uri loadBalancer, IReadOnlyList<LabApiOptions> apis, double ratePerSecond, int concurrency, TimeProvider time, ILogger logger)
    {
        _loadBalancer = loadBalancer;
        _apis = apis;
        _ratePerSecond = ratePerSecond;
        _concurrency = concurrency;
        _time = time;
        _logger = logger;
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        })
        { Timeout = TimeSpan.FromSeconds(10) };
    }

    public long Sent => Interlocked.Read(ref _sent);
    public long Failed => Interlocked.Read(ref _failed);

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        var last = _time.GetTimestamp();
        var budget = 0.0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetTimestamp();
                // Carry the fraction over, and never burst more than a second's worth after a stall.
                budget = Math.Min(budget + _ratePerSecond * _time.GetElapsedTime(last, now).TotalSeconds, Math.Max(1, _ratePerSecond));
                last = now;
                while (budget >= 1)
                {
                    budget -= 1;
                    // TrafficConcurrency requests already in flight: this one is not sent.
                    if (Volatile.Read(ref _inFlight) >= _concurrency)
                        continue;
                    Interlocked.Increment(ref _inFlight);
                    _ = SendOneAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendOneAsync(CancellationToken cancellationToken)
    {
        try
        {
            var api = _apis[Random.Shared.Next(_apis.Count)];
            var post = Random.Shared.NextDouble() < 0.2;
            var path = api.Path + (Random.Shared.Next(3) switch
            {
                0 => "",
                1 => "/items",
                _ => $"/items/{Random.Shared.Next(1, 10_000)}",
            });
            using var request = new HttpRequestMessage(post ? HttpMethod.Post : HttpMethod.Get, new Uri(_loadBalancer, path));
            if (post)
                request.Content = new StringContent($"{{\"quantity\":{Random.Shared.Next(1, 50)}}}", new MediaTypeHeaderValue("application/json"));
            using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _sent);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failed);
                _logger.LogTrace(e, "Lab traffic request failed");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _client.Dispose();
        _stop.Dispose();
    }
}
