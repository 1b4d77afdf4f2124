using System.Net;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApimConsole.Lab.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab;

/// <summary>
/// Standalone lab: <c>dotnet run --project src/ApimConsole.Lab -- --Lab:TrafficRatePerSecond=50 --ControlUrl=http://127.0.0.1:5090</c>.
/// Options come from the command line and <c>APIMLAB_</c> environment variables only (no appsettings.json: the
/// console host references this project and has its own).
/// </summary>
public static class LabProgram
{
    public const string DefaultControlUrl = "http://127.0.0.1:5090";

    public static async Task<int> Main(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("APIMLAB_")
            .AddCommandLine(args)
            .Build();
        var options = new LabOptions();
        configuration.GetSection(LabOptions.SectionName).Bind(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return 2;
        }
        var controlUrl = new Uri(configuration["ControlUrl"] ?? DefaultControlUrl);

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(Enum.TryParse<LogLevel>(configuration["LogLevel"], true, out var level) ? level : LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
            // A down member fails a probe every interval: that is the point, not news.
            .AddFilter("Yarp", LogLevel.Error));
        using var stop = new CancellationTokenSource();
        // Ctrl+C and SIGTERM stop the lab (its servers do not listen for signals themselves).
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        await using var estate = await LabEstate.StartAsync(options, loggerFactory, TimeProvider.System, stop.Token).ConfigureAwait(false);

        var builder = LabHosting.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(controlUrl.Host), controlUrl.Port));
        await using var control = builder.Build();
        control.MapLabApi(estate);
        await control.StartAsync(stop.Token).ConfigureAwait(false);

        PrintEndpoints(estate, controlUrl);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await control.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private static void PrintEndpoints(LabEstate estate, Uri controlUrl)
    {
        var e = estate.Endpoints;
        Console.WriteLine($"Lab control API: {controlUrl}api/lab   (POST {controlUrl}api/lab/faults {{\"target\":\"dc2\",\"action\":\"down\"}})");
        Console.WriteLine($"Load balancer:   {e.LoadBalancerUrl}   pools: {e.LoadBalancerStatusUrl}");
        foreach (var dc in e.Datacenters)
        {
            Console.WriteLine($"{dc.Id} ({dc.Name}): ANM {dc.AnmUrl} ({dc.AnmUsername}/{dc.AnmPassword}), gateways {string.Join(", ", dc.Gateways.Select(g => $"{g.InstanceId}={g.Host}"))} on port {dc.GatewayTrafficPort}, Cassandra {string.Join(", ", dc.CassandraContactPoints)}");
        }
        Console.WriteLine();
        Console.WriteLine("appsettings.json fragment for a console pointed at this lab:");
        Console.WriteLine(ConsoleFragmentJson(estate.ToConsoleConfiguration()));
        // One console per datacenter: each connects from its datacenter's console address, so the link fault cuts each
        // off from the other datacenter; add Peer:Url/Token and Auth:PeerViewerToken to each (README, "One console per datacenter").
        foreach (var dc in e.Datacenters)
        {
            Console.WriteLine();
            Console.WriteLine($"... or, for the console that sits in {dc.Id} (one console per datacenter):");
            Console.WriteLine(ConsoleFragmentJson(estate.ToConsoleConfiguration(dc.Id)));
        }
    }

    /// <summary>
    /// The <c>Estate</c> section as the console's appsettings.json spells it, built from the very keys the embedded
    /// lab hands the console (<see cref="LabEstate.ToConsoleConfiguration"/>), so the printed fragment cannot leave one
    /// out (it once lacked each datacenter's <c>Logs:Url</c>).
    /// </summary>
    public static string ConsoleFragmentJson(IReadOnlyDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var root = new JsonObject();
        foreach (var (key, value) in configuration.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (value is null)
                continue;
            var path = key.Split(':');
            var node = root;
            for (var i = 0; i < path.Length - 1; i++)
            {
                if (node[path[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[path[i]] = child;
                }
                node = child;
            }
            node[path[^1]] = value;
        }
        return ToArrays(root).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Objects whose keys are 0..n-1 (configuration's spelling of a list) become JSON arrays.</summary>
    private static JsonNode ToArrays(JsonNode node)
    {
        if (node is not JsonObject obj)
            return node.DeepClone();
        var entries = obj.Select(p => (p.Key, Value: ToArrays(p.Value!))).ToList();
        var isList = entries.Count > 0 && entries.Select(e => e.Key).OrderBy(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)
            .Select((k, i) => k == i.ToString(CultureInfo.InvariantCulture)).All(same => same);
        if (isList)
            return new JsonArray(entries.OrderBy(e => int.Parse(e.Key, CultureInfo.InvariantCulture)).Select(e => e.Value).ToArray());
        var result = new JsonObject();
        foreach (var (key, value) in entries)
            result[key] = value;
        return result;
    }
}
