using System.Text.Json;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>One file of a configuration upload: a <c>.fed</c>, or the <c>.pol</c> and the <c>.env</c> of a pair.</summary>
public sealed record AnmArchiveFile(string FileName, ReadOnlyMemory<byte> Content);

/// <summary>What loading an archive did to one instance.</summary>
public enum AnmLoadStatus
{
    /// <summary>The instance runs the archive now.</summary>
    Loaded,
    /// <summary>The load failed and the instance went back to its previous configuration.</summary>
    RolledBack,
}

/// <summary>The answer to <c>PUT /router/service/{instance}/api/configuration?archiveId=</c>.</summary>
/// <param name="LiveArchiveId">The archive the instance runs after the call (the previous one when rolled back), when the ANM says.</param>
/// <param name="Message">The ANM's own words when the load failed.</param>
public sealed record AnmPushResult(AnmLoadStatus Status, string? LiveArchiveId, string? Message);

/// <summary>Per group, per instance, the archive deployed (<c>GET /deployment/domain/deployments</c>).</summary>
public sealed record AnmGroupDeployments(string GroupId, string GroupName, IReadOnlyList<AnmInstanceDeployment> Instances);

/// <param name="ArchiveId"><c>rootProperties.Id</c>; null when the ANM reports none.</param>
public sealed record AnmInstanceDeployment(string InstanceId, string InstanceName, string? ArchiveId);

/// <summary>Strict readers for the deployment documents: anything off the documented shape is an <see cref="AnmProtocolException"/>.</summary>
public static class AnmDeploymentParser
{
    /// <summary>Archive ids end up in URLs and in the console's store: a bounded, plain alphabet.</summary>
    public const int MaxArchiveIdLength = 200;

    public static string ParseArchiveId(string json, string what)
    {
        using var document = ParseObject(json, what);
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.String)
            throw new AnmProtocolException($"{what}: 'result' is not a string");
        return CheckArchiveId(result.GetString(), what);
    }

    public static AnmPushResult ParsePush(string json, bool success)
    {
        using var document = ParseObject(json, "configuration push");
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            throw new AnmProtocolException("configuration push: no 'result' object");
        var status = result.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        string? live = null;
        if (result.TryGetProperty("archiveId", out var a))
            live = a.ValueKind == JsonValueKind.String ? CheckArchiveId(a.GetString(), "configuration push") : throw new AnmProtocolException("configuration push: 'archiveId' is not a string");
        string? message = null;
        if (document.RootElement.TryGetProperty("errors", out var errors))
        {
            if (errors.ValueKind != JsonValueKind.Array)
                throw new AnmProtocolException("configuration push: 'errors' is not an array");
            message = string.Join("; ", errors.EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null)
                .Where(m => !string.IsNullOrEmpty(m)));
            if (message.Length > 2000)
                message = message[..2000];
        }
        return (status, success) switch
        {
            ("Loaded", true) => new AnmPushResult(AnmLoadStatus.Loaded, live, null),
            ("RolledBack", _) => new AnmPushResult(AnmLoadStatus.RolledBack, live, string.IsNullOrEmpty(message) ? null : message),
            _ => throw new AnmProtocolException($"configuration push: unexpected status '{status ?? "(none)"}'"),
        };
    }

    public static IReadOnlyList<AnmGroupDeployments> ParseDeployments(string json)
    {
        using var document = ParseObject(json, "deployments");
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
            throw new AnmProtocolException("deployments: 'result' is not an array");
        var groups = new List<AnmGroupDeployments>();
        foreach (var g in result.EnumerateArray())
        {
            if (g.ValueKind != JsonValueKind.Object)
                throw new AnmProtocolException("deployments: a group is not an object");
            var groupId = RequiredText(g, "groupId", "deployments: a group");
            var instances = new List<AnmInstanceDeployment>();
            if (!g.TryGetProperty("deployments", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new AnmProtocolException($"deployments: group '{groupId}' has no 'deployments' array");
            foreach (var d in list.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Object)
                    throw new AnmProtocolException($"deployments: an entry of group '{groupId}' is not an object");
                var serviceId = RequiredText(d, "serviceId", $"deployments: an entry of group '{groupId}'");
                string? archiveId = null;
                if (d.TryGetProperty("rootProperties", out var root))
                {
                    if (root.ValueKind != JsonValueKind.Object)
                        throw new AnmProtocolException($"deployments: rootProperties of '{serviceId}' is not an object");
                    if (root.TryGetProperty("Id", out var id))
                        archiveId = id.ValueKind == JsonValueKind.String ? CheckArchiveId(id.GetString(), "deployments") : throw new AnmProtocolException($"deployments: the Id of '{serviceId}' is not a string");
                }
                instances.Add(new AnmInstanceDeployment(serviceId, Text(d, "serviceName") ?? serviceId, archiveId));
            }
            groups.Add(new AnmGroupDeployments(groupId, Text(g, "groupName") ?? groupId, instances));
        }
        return groups;
    }

    private static JsonDocument ParseObject(string json, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new AnmProtocolException($"{what} is not JSON: {ex.Message}");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new AnmProtocolException($"{what} is not a JSON object");
        }
        return document;
    }

    private static string CheckArchiveId(string? id, string what)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxArchiveIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            throw new AnmProtocolException($"{what}: '{Shorten(id)}' is not an archive id");
        return id;
    }

    private static string RequiredText(JsonElement parent, string name, string what) =>
        Text(parent, name) is { Length: > 0 and <= 200 } text ? text : throw new AnmProtocolException($"{what} has no '{name}'");

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Shorten(string? text) => text is null ? "(null)" : text.Length > 40 ? text[..40] + "…" : text;
}
