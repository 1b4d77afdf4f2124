using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab;

/// <summary>Building blocks shared by the lab's servers.</summary>
internal static class LabHosting
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A bare web application: Kestrel and routing only. No appsettings, environment or command line, so a lab
    /// inside the console process never picks up the console's configuration.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.Services.AddRoutingCore();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // The lab's servers live and die with the estate, not with Ctrl+C or SIGTERM of whichever process hosts them.
        builder.Services.Replace(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostLifetime, EstateLifetime>());
        return builder;
    }

    private sealed class EstateLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public static int BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First()).Port;
    }

    /// <summary>A port free on 127.0.0.1 right now (another process may take it before we do: callers retry).</summary>
    public static int CandidatePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsAddressInUse(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } => true,
        IOException when e.InnerException is not null => IsAddressInUse(e.InnerException),
        IOException io => io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase),
        AggregateException a => a.InnerExceptions.Any(IsAddressInUse),
        _ => e.InnerException is not null && IsAddressInUse(e.InnerException),
    };

    public static Task WriteJsonAsync(HttpContext context, object value, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, value.GetType(), Json, context.RequestAborted);
    }

    /// <summary>An ANM-style error document: <c>{"errors":[{"code":...,"message":...}]}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, int code, string message) =>
        WriteJsonAsync(context, new { errors = new[] { new { code, message } } }, status);

    public static async Task StopQuietlyAsync(WebApplication? app, ILogger logger)
    {
        if (app is null)
            return;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug(e, "Stopping a lab server timed out");
        }
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
