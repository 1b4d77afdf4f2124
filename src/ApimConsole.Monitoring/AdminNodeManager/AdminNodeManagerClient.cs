using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>What the ANM says of a gateway process (<c>GET /api/management/status/{group}/{service}</c>).</summary>
public enum ManagementStatus
{
    Unknown,
    Running,
    NotRunning,
}

/// <summary>
/// The Admin Node Manager's REST API (base <c>{url}/api</c>) with basic authentication. Every call takes the
/// caller's token; the caller sets the deadline.
/// </summary>
public sealed class AdminNodeManagerClient
{
    private readonly HttpClient _http;
    private readonly Uri _api;
    private readonly AuthenticationHeaderValue _auth;

    public AdminNodeManagerClient(HttpClient http, string baseUrl, string username, string password)
    {
        _http = http;
        BaseUrl = baseUrl.TrimEnd('/');
        _api = new Uri(BaseUrl + "/api/");
        _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    public string BaseUrl { get; }

    /// <summary>
    /// <c>GET /api/topology</c>. An answer identical to the previous one returns the previous (immutable) topology
    /// without parsing it again, so a caller can tell "unchanged" by reference.
    /// </summary>
    public async Task<AnmTopology> GetTopologyAsync(CancellationToken cancellationToken)
    {
        var json = await GetStringAsync("topology", cancellationToken);
        var last = Volatile.Read(ref _lastTopology);
        if (last is not null && string.Equals(last.Json, json, StringComparison.Ordinal))
            return last.Topology;
        var topology = AnmTopology.Parse(json);
        Volatile.Write(ref _lastTopology, new ParsedTopology(json, topology));
        return topology;
    }

    private ParsedTopology? _lastTopology;

    private sealed record ParsedTopology(string Json, AnmTopology Topology);

    public async Task<(ManagementStatus Status, string? Detail)> GetStatusAsync(string groupId, string serviceId, CancellationToken cancellationToken)
    {
        var json = await GetStringAsync($"management/status/{Uri.EscapeDataString(groupId)}/{Uri.EscapeDataString(serviceId)}", cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("result", out var result))
                throw new AnmProtocolException("status has no 'result'");
            var code = result.ValueKind == JsonValueKind.String ? result.GetString() : result.ToString();
            string? detail = null;
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                detail = string.Join("; ", errors.EnumerateArray().Select(e => e.TryGetProperty("message", out var m) ? m.ToString() : e.ToString()));
            return code switch
            {
                "0" => (ManagementStatus.Running, null),
                "3" => (ManagementStatus.NotRunning, "the ANM reports the process not running"),
                _ => (ManagementStatus.Unknown, detail ?? $"the ANM reports status {code}"),
            };
        }
        catch (JsonException ex)
        {
            throw new AnmProtocolException($"status is not JSON: {ex.Message}");
        }
    }

    public Task StartAsync(string groupId, string serviceId, CancellationToken cancellationToken) =>
        PostAsync($"management/start/{Uri.EscapeDataString(groupId)}/{Uri.EscapeDataString(serviceId)}", cancellationToken);

    public Task StopAsync(string groupId, string serviceId, CancellationToken cancellationToken) =>
        PostAsync($"management/stop/{Uri.EscapeDataString(groupId)}/{Uri.EscapeDataString(serviceId)}", cancellationToken);

    /// <summary>
    /// Stores a configuration with the group's ANM and returns the id of the deployment archive to load. A <c>.fed</c>
    /// is one call, <c>POST /deployment/group/configuration/file/{groupId}</c> (multipart field <c>file</c>). A <c>.pol</c>
    /// with its <c>.env</c> is two: the policy archive to <c>.../file/policy/{groupId}</c> (field <c>policyFile</c>), whose
    /// answer is the policy archive's id, then the environment archive to
    /// <c>.../file/environment/{groupId}?relatedPolicyArchiveID={that id}</c> (field <c>environmentFile</c>), whose answer
    /// is the id of the merged deployment archive. Every answer is <c>{"result": "&lt;id&gt;"}</c>.
    /// </summary>
    public async Task<string> UploadConfigurationAsync(string groupId, IReadOnlyList<AnmArchiveFile> files, CancellationToken cancellationToken)
    {
        var group = Uri.EscapeDataString(groupId);
        if (files is [{ } fed] && HasExtension(fed, ".fed"))
            return await UploadFileAsync($"deployment/group/configuration/file/{group}", "file", fed, "upload", cancellationToken);
        var policy = files.Count == 2 ? files.FirstOrDefault(f => HasExtension(f, ".pol")) : null;
        var environment = files.Count == 2 ? files.FirstOrDefault(f => HasExtension(f, ".env")) : null;
        if (policy is null || environment is null)
            throw new ArgumentException($"Upload one .fed, or one .pol with its .env (got {string.Join(", ", files.Select(f => f.FileName))}).", nameof(files));
        var policyArchiveId = await UploadFileAsync($"deployment/group/configuration/file/policy/{group}", "policyFile", policy, "policy archive upload", cancellationToken);
        return await UploadFileAsync($"deployment/group/configuration/file/environment/{group}?relatedPolicyArchiveID={Uri.EscapeDataString(policyArchiveId)}",
            "environmentFile", environment, "environment archive upload", cancellationToken);
    }

    private static bool HasExtension(AnmArchiveFile file, string extension) => file.FileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    private async Task<string> UploadFileAsync(string relative, string field, AnmArchiveFile file, string what, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var part = new ReadOnlyMemoryContent(file.Content);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, field, file.FileName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_api, relative)) { Content = form };
        request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        return AnmDeploymentParser.ParseArchiveId(await ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken), what);
    }

    /// <summary>
    /// <c>PUT /router/service/{instanceId}/api/configuration?archiveId=</c>: the instance loads the archive, or fails to
    /// and rolls back to its previous configuration. Both are a 200 whose <c>result.status</c> is <c>true</c> or
    /// <c>false</c> (a <see cref="AnmLoadStatus.RolledBack"/> result, not an exception). Any other status, or an instance
    /// the router cannot reach, is an <see cref="HttpRequestException"/>; a 200 in another shape an <see cref="AnmProtocolException"/>.
    /// </summary>
    public async Task<AnmPushResult> PushConfigurationAsync(string instanceId, string archiveId, CancellationToken cancellationToken)
    {
        var relative = $"router/service/{Uri.EscapeDataString(instanceId)}/api/configuration?archiveId={Uri.EscapeDataString(archiveId)}";
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_api, relative));
        request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            var result = AnmDeploymentParser.ParsePush(await ReadBoundedAsync(response.Content, 1024 * 1024, cancellationToken));
            if (result.Status == AnmLoadStatus.Loaded)
                return result with { LiveArchiveId = archiveId };
            // The answer does not say what the instance went back to; the instance does.
            try
            {
                return result with { LiveArchiveId = await GetArchiveIdAsync(instanceId, cancellationToken) };
            }
            catch (Exception ex) when (ex is HttpRequestException or AnmProtocolException or IOException)
            {
                return result;
            }
        }
        var body = await ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken, truncate: true);
        throw new HttpRequestException($"ANM answered {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body[..Math.Min(body.Length, 2048)] : "")}", null, response.StatusCode);
    }

    /// <summary><c>GET /deployment/domain/deployments</c>: per group, per instance, the archive it runs.</summary>
    public async Task<IReadOnlyList<AnmGroupDeployments>> GetDeploymentsAsync(CancellationToken cancellationToken) =>
        AnmDeploymentParser.ParseDeployments(await GetStringAsync("deployment/domain/deployments", cancellationToken));

    /// <summary><c>GET /router/service/{instanceId}/api/configuration/archiveId</c>.</summary>
    public async Task<string> GetArchiveIdAsync(string instanceId, CancellationToken cancellationToken) =>
        AnmDeploymentParser.ParseArchiveId(await GetStringAsync($"router/service/{Uri.EscapeDataString(instanceId)}/api/configuration/archiveId", cancellationToken), "archiveId");

    private async Task<string> GetStringAsync(string relative, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_api, relative));
        request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        // The documents the console reads are small; a peer sending megabytes is not an ANM.
        return await ReadBoundedAsync(response.Content, 4 * 1024 * 1024, cancellationToken);
    }

    private async Task PostAsync(string relative, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_api, relative));
        request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await ReadBoundedAsync(response.Content, 2048, cancellationToken, truncate: true);
        throw new HttpRequestException($"ANM answered {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body : "")}", null, response.StatusCode);
    }

    internal static async Task<string> ReadBoundedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken, bool truncate = false)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxBytes, 81920)];
        using var collected = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (collected.Length + read > maxBytes)
            {
                if (truncate)
                {
                    collected.Write(buffer, 0, (int)(maxBytes - collected.Length));
                    break;
                }
                throw new AnmProtocolException($"response larger than {maxBytes} bytes");
            }
            collected.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
    }
}
