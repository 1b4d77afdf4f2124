using System.Text.Json;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;

namespace ApimConsole.Monitoring.LoadBalancer;

/// <summary>
/// The lab's own pool document, <c>{"pools":[{"datacenter","serving","healthyDestinations","destinations"}]}</c>
/// (<c>Estate:LoadBalancer:Kind = Lab</c>): it names the datacenters itself.
/// </summary>
public static class LabPoolView
{
    public static IReadOnlyList<LoadBalancerPool> Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("pools", out var pools)
                || pools.ValueKind != JsonValueKind.Array)
                throw new AnmProtocolException("load balancer status has no 'pools' array");
            var result = new List<LoadBalancerPool>();
            foreach (var pool in pools.EnumerateArray())
            {
                if (pool.ValueKind != JsonValueKind.Object
                    || !pool.TryGetProperty("datacenter", out var dc) || dc.ValueKind != JsonValueKind.String
                    || !pool.TryGetProperty("serving", out var serving) || serving.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new AnmProtocolException("a load balancer pool lacks 'datacenter' or 'serving'");
                result.Add(new LoadBalancerPool(
                    dc.GetString()!,
                    serving.GetBoolean(),
                    Count(pool, "healthyDestinations"),
                    Count(pool, "destinations")));
            }
            return result;
        }
        catch (JsonException ex)
        {
            throw new AnmProtocolException($"load balancer status is not JSON: {ex.Message}");
        }
    }

    private static int Count(JsonElement pool, string name) =>
        pool.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 0 ? n : 0;
}
