using System.Collections.Concurrent;
using ApimConsole.Core.Alerts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>One POST as the receiver got it.</summary>
internal sealed record ReceivedWebhook(int Number, string Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At, int AnsweredStatus)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : "";

    public bool SignedWith(string secret) =>
        WebhookSignature.Verify(secret, Header(WebhookSignature.TimestampHeader), Body, Header(WebhookSignature.SignatureHeader));
}

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1, an ephemeral port) that records every POST. <see cref="Answer"/> decides
/// per request: a status code, or null to hang until the client gives up.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private int _count;
    private int _open;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The status for the n-th request (1-based); null: never answer.</summary>
    public Func<int, int?> Answer { get; set; } = _ => 200;

    /// <summary>The clock the receipt times are read from (the test's fake one, when it has one).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public string Url { get; private set; } = "";
    public IReadOnlyList<ReceivedWebhook> Received => _received.ToArray();

    /// <summary>Requests that arrived and have not been answered (a hanging one stays here until the client leaves).</summary>
    public int Open => Volatile.Read(ref _open);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _open);
        try
        {
            var number = Interlocked.Increment(ref _count);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var status = Answer(number);
            _received.Enqueue(new ReceivedWebhook(number, body, headers, Clock.GetUtcNow(), status ?? 0));
            if (status is null)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }
            context.Response.StatusCode = status.Value;
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
