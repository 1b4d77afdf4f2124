using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ApimConsole.Core.Guardrails;
using ApimConsole.Lab;
using ApimConsole.Lab.AdminNodeManager;
using ApimConsole.Web.Tests.Live;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>The console with its embedded lab (as <see cref="LabConsoleFactory"/>) plus a <see cref="ScriptedGate"/> and small upload limits.</summary>
public class DeploymentLabFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("apimconsole-deploy-").FullName;

    public ScriptedGate Gate { get; } = new();

    protected virtual void Configure(IWebHostBuilder builder)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Lab:Enabled", "true");
        builder.UseSetting("Lab:TrafficRatePerSecond", "0");
        builder.UseSetting("Storage:Provider", "Sqlite");
        builder.UseSetting("Storage:SqlitePath", Path.Combine(_dataDirectory, "console.db"));
        builder.UseSetting("Deployments:Limits:MaxUploadBytes", "200000");
        builder.ConfigureTestServices(services => services.AddSingleton<IDeploymentGate>(Gate));
        Configure(builder);
        TestAuth.Configure(builder);
        TestHostLogging.Configure(builder);
    }

    /// <summary>Every client of this console is the bootstrap Administrator token (see <see cref="TestAuth"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        TestAuth.Authorize(client);
    }

    /// <summary>The lab's record of every push its ANMs received: the truth about what reached the estate.</summary>
    public IReadOnlyList<LabDeploymentPush> LabPushes() => Services.GetRequiredService<LabEstate>().Deployments.Snapshot();

    /// <summary>Waits until the console knows both datacenters' groups (the group names in a request are checked against them).</summary>
    public async Task WaitForGroupsAsync()
    {
        using var client = CreateClient();
        await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/estate"),
            estate => estate.GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("groups").GetArrayLength() == 2),
            TimeSpan.FromSeconds(30), "the console to learn both datacenters' groups (/api/estate)", every: TimeSpan.FromMilliseconds(100));
    }

    public async Task<HttpResponseMessage> FaultAsync(string target, string action)
    {
        using var client = CreateClient();
        return await client.PostAsJsonAsync("/api/lab/faults", new { target, action });
    }

    public async Task HealAsync()
    {
        using var client = CreateClient();
        (await client.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();
    }

    /// <summary>A zip of stored entries, as an upload carries it (see <see cref="DeploymentArchives.Zip"/>).</summary>
    public static byte[] Zip(params (string Name, string Content)[] entries) => DeploymentArchives.Zip(entries);

    public static MultipartFormDataContent Form(string? kind, string? group, params (string FileName, byte[] Content)[] files) =>
        Form(kind, group, null, files);

    public static MultipartFormDataContent Form(string? kind, string? group, IDictionary<string, string>? fields, params (string FileName, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent();
        if (kind is not null)
            form.Add(new StringContent(kind), "kind");
        if (group is not null)
            form.Add(new StringContent(group), "group");
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
            form.Add(new StringContent(value), name);
        foreach (var (fileName, content) in files)
            form.Add(new ByteArrayContent(content), "file", fileName);
        return form;
    }

    /// <summary>Polls <c>GET /api/deployments/{id}</c> until it is no longer Pending or Running.</summary>
    public async Task<JsonElement> WaitForFinishAsync(long id)
    {
        using var client = CreateClient();
        return await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>($"/api/deployments/{id}"),
            last => last.GetProperty("state").GetString() is not ("Pending" or "Running"), TimeSpan.FromSeconds(30),
            $"deployment {id} to finish", every: TimeSpan.FromMilliseconds(50));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; a temp folder left behind harms nothing.
        }
    }
}
