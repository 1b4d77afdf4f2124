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
/// <param name="LiveArchiveId">The archive the instance runs after the call, when known (the documented answer does not say).</param>
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

    /// <summary>
    /// The answer to a configuration load, as the reference gives it: <c>{"result": {"status": true|false, "errorCount",
    /// "failureReason"?, "traceData": {"traceRecords": [{"dateTime", "level", "message"}]}}}</c>. <c>true</c>: loaded;
    /// <c>false</c>: the load failed and the instance went back to its previous configuration. Anything else is not read.
    /// </summary>
    public static AnmPushResult ParsePush(string json)
    {
        const string what = "configuration load (PUT api/configuration)";
        using var document = ParseObject(json, what);
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            throw Unread(what, "no 'result' object");
        if (!result.TryGetProperty("status", out var status) || status.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw Unread(what, result.TryGetProperty("status", out var s) ? $"result.status is {Shorten(s.GetRawText())}, not true or false" : "no result.status");
        if (status.ValueKind == JsonValueKind.True)
            return new AnmPushResult(AnmLoadStatus.Loaded, null, null);
        var reasons = new List<string>();
        if (result.TryGetProperty("failureReason", out var reason) && reason.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(reason.GetString()))
            reasons.Add(reason.GetString()!.Trim());
        if (result.TryGetProperty("errorCount", out var count) && count.TryGetInt32(out var errors) && errors > 0)
            reasons.Add($"{errors} error{(errors == 1 ? "" : "s")}");
        if (reasons.Count == 0 && result.TryGetProperty("traceData", out var trace) && trace.ValueKind == JsonValueKind.Object
            && trace.TryGetProperty("traceRecords", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            // No reason given: the last lines of the load's trace say what happened.
            reasons.AddRange(records.EnumerateArray()
                .Select(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null)
                .Where(m => !string.IsNullOrWhiteSpace(m)).TakeLast(3)!);
        }
        var message = string.Join("; ", reasons);
        if (message.Length > 2000)
            message = message[..2000];
        return new AnmPushResult(AnmLoadStatus.RolledBack, null, message.Length == 0 ? null : message);
    }

    private static AnmProtocolException Unread(string endpoint, string problem) =>
        new($"the ANM answered {endpoint} in a shape this console does not read: {problem}");

    /// <summary>
    /// <c>GET /deployment/domain/deployments</c> as the reference gives it: <c>result</c> maps each group id to a map of
    /// its instance ids, each with the <c>rootProperties</c> (and policy and environment properties) of the archive it
    /// runs; <c>rootProperties.Id</c> is the deployment archive's id. The answer names no group or instance, so their ids
    /// stand for their names.
    /// </summary>
    public static IReadOnlyList<AnmGroupDeployments> ParseDeployments(string json)
    {
        const string what = "deployment/domain/deployments";
        using var document = ParseObject(json, what);
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            throw Unread(what, result.ValueKind == JsonValueKind.Array ? "'result' is a list, not a map of group ids" : "no 'result' map of group ids");
        var groups = new List<AnmGroupDeployments>();
        foreach (var group in result.EnumerateObject())
        {
            var groupId = CheckId(group.Name, what, "group id");
            if (group.Value.ValueKind != JsonValueKind.Object)
                throw Unread(what, $"group '{groupId}' is not a map of instance ids");
            var instances = new List<AnmInstanceDeployment>();
            foreach (var instance in group.Value.EnumerateObject())
            {
                var serviceId = CheckId(instance.Name, what, $"instance id in group '{groupId}'");
                if (instance.Value.ValueKind != JsonValueKind.Object)
                    throw Unread(what, $"'{groupId}/{serviceId}' is not an object");
                string? archiveId = null;
                if (instance.Value.TryGetProperty("rootProperties", out var root) && root.ValueKind != JsonValueKind.Null)
                {
                    if (root.ValueKind != JsonValueKind.Object)
                        throw Unread(what, $"rootProperties of '{groupId}/{serviceId}' is not an object");
                    if (root.TryGetProperty("Id", out var id))
                        archiveId = id.ValueKind == JsonValueKind.String ? CheckArchiveId(id.GetString(), what) : throw Unread(what, $"rootProperties.Id of '{groupId}/{serviceId}' is not a string");
                }
                instances.Add(new AnmInstanceDeployment(serviceId, serviceId, archiveId));
            }
            groups.Add(new AnmGroupDeployments(groupId, groupId, instances));
        }
        return groups;
    }

    private static string CheckId(string id, string what, string kind) =>
        id.Length is > 0 and <= 200 && !id.Any(char.IsControl) ? id : throw Unread(what, $"'{Shorten(id)}' is not a {kind}");

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
