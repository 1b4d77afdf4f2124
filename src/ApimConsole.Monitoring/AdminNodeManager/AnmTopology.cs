using System.Text.Json;
using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>The part of <c>GET /api/topology</c> the console uses.</summary>
public sealed record AnmTopology(string? Id, string? ProductVersion, IReadOnlyList<AnmHost> Hosts, IReadOnlyList<AnmGroup> Groups)
{
    public AnmHost? Host(string? hostId) => Hosts.FirstOrDefault(h => h.Id == hostId);

    /// <summary>Reads the ANM's JSON; anything that is not the documented shape is a <see cref="AnmProtocolException"/>.</summary>
    public static AnmTopology Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new AnmProtocolException($"topology is not JSON: {ex.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("result", out var result)
                || result.ValueKind != JsonValueKind.Object)
                throw new AnmProtocolException("topology has no 'result' object");

            var hosts = Array(result, "hosts").Select(h => new AnmHost(Text(h, "id") ?? "", Text(h, "name") ?? "")).ToList();
            var groups = new List<AnmGroup>();
            foreach (var g in Array(result, "groups"))
            {
                var services = Array(g, "services").Select(s => new AnmService(
                    Text(s, "id") ?? throw new AnmProtocolException("a service in the topology has no id"),
                    Text(s, "name") ?? Text(s, "id")!,
                    Text(s, "type") ?? "",
                    Text(s, "hostID"),
                    Number(s, "managementPort"),
                    !s.TryGetProperty("enabled", out var enabled) || enabled.ValueKind != JsonValueKind.False,
                    Tags(s))).ToList();
                groups.Add(new AnmGroup(
                    Text(g, "id") ?? throw new AnmProtocolException("a group in the topology has no id"),
                    Text(g, "name") ?? Text(g, "id")!,
                    Tags(g),
                    services));
            }
            return new AnmTopology(Text(result, "id"), Text(result, "productVersion"), hosts, groups);
        }
    }

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList()
            : [];

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Number(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    /// <summary>Tags are an object of key/value pairs; a list of "key=value" strings is accepted too.</summary>
    private static IReadOnlyDictionary<string, string> Tags(JsonElement parent)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!parent.TryGetProperty("tags", out var value))
            return tags;
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in value.EnumerateObject())
                tags[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.ToString();
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String))
            {
                var text = item.GetString() ?? "";
                var eq = text.IndexOf('=');
                tags[eq < 0 ? text : text[..eq]] = eq < 0 ? "" : text[(eq + 1)..];
            }
        }
        return tags;
    }
}

public sealed record AnmHost(string Id, string Name);

public sealed record AnmGroup(string Id, string Name, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<AnmService> Services)
{
    /// <summary>The zone from the group's <c>zone</c> tag, else from its name.</summary>
    public GatewayZone Zone =>
        Tags.TryGetValue("zone", out var zone)
            ? string.Equals(zone, "dmz", StringComparison.OrdinalIgnoreCase) ? GatewayZone.Dmz : GatewayZone.Internal
            : Name.Contains("dmz", StringComparison.OrdinalIgnoreCase) ? GatewayZone.Dmz : GatewayZone.Internal;

    public IEnumerable<AnmService> Gateways => Services.Where(s => string.Equals(s.Type, "gateway", StringComparison.OrdinalIgnoreCase));
}

public sealed record AnmService(string Id, string Name, string Type, string? HostId, int? ManagementPort, bool Enabled, IReadOnlyDictionary<string, string> Tags);

/// <summary>The ANM answered, but not with what its API documents.</summary>
public sealed class AnmProtocolException(string message) : Exception(message);
