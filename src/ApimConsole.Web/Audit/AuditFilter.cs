using System.Globalization;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Audit;

/// <summary>
/// The audit trail's filters as the address carries them, read the same way by <c>GET /api/audit</c> and the Audit page
/// (so a shared link shows what the API answers): <c>actor</c>, <c>kind</c>, <c>action</c>, <c>target</c>,
/// <c>datacenter</c>, <c>from</c>, <c>to</c>, <c>q</c>. A value that cannot be read is refused with a message naming
/// the parameter, never ignored: a filter silently dropped would show entries the reader thinks are excluded.
/// </summary>
public static class AuditFilter
{
    public const string ActorKey = "actor";
    public const string KindKey = "kind";
    public const string ActionKey = "action";
    public const string TargetKey = "target";
    public const string DatacenterKey = "datacenter";
    public const string FromKey = "from";
    public const string ToKey = "to";
    public const string TextKey = "q";

    /// <summary>The action of a break-glass deployment: one the guardrail blocked, sent anyway with a written reason.</summary>
    public const string OverrideAction = "deployment.override";

    /// <summary>Longest text filter: the longest stored field (a target) is 400 characters.</summary>
    public const int MaxTextLength = AuditText.MaxTarget;

    public static IReadOnlyList<string> Keys { get; } = [ActorKey, KindKey, ActionKey, TargetKey, DatacenterKey, FromKey, ToKey, TextKey];

    /// <summary>
    /// Reads the filters from <paramref name="values"/> (a parameter given but empty is unset). Returns the query, or the
    /// problem naming the parameter. <paramref name="datacenters"/>: the estate's datacenter ids.
    /// </summary>
    public static (AuditQuery? Query, string? Problem) Read(Func<string, string?> values, IReadOnlyCollection<string> datacenters)
    {
        var query = new AuditQuery();
        foreach (var (key, apply) in new (string, Func<string, string?>)[]
        {
            (ActorKey, v => Text(ActorKey, v, t => query = query with { Actor = t })),
            (ActionKey, v => Text(ActionKey, v, t => query = query with { Action = t })),
            (TargetKey, v => Text(TargetKey, v, t => query = query with { Target = t })),
            (TextKey, v => Text(TextKey, v, t => query = query with { Text = t })),
            (KindKey, v =>
            {
                // Names only: Enum.TryParse would also take "2" or "User,Token".
                var kind = Enum.GetNames<AuditActorKind>().FirstOrDefault(n => n.Equals(v.Trim(), StringComparison.OrdinalIgnoreCase));
                if (kind is null)
                    return $"kind '{Shorten(v)}' is not an actor kind: use {string.Join(", ", Enum.GetNames<AuditActorKind>())}.";
                query = query with { Kind = Enum.Parse<AuditActorKind>(kind) };
                return null;
            }),
            (DatacenterKey, v =>
            {
                if (!datacenters.Contains(v.Trim(), StringComparer.Ordinal))
                    return $"datacenter '{Shorten(v)}' is not a datacenter of this estate: use {string.Join(", ", datacenters)}.";
                query = query with { Datacenter = v.Trim() };
                return null;
            }),
            (FromKey, v => Instant(FromKey, v, at => query = query with { From = at })),
            (ToKey, v => Instant(ToKey, v, at => query = query with { To = at })),
        })
        {
            var value = values(key);
            if (string.IsNullOrWhiteSpace(value))
                continue;
            if (apply(value) is { } problem)
                return (null, problem);
        }
        if (query.From is { } from && query.To is { } to && from > to)
            return (null, $"from ({from:yyyy-MM-ddTHH:mm:ssZ}) is after to ({to:yyyy-MM-ddTHH:mm:ssZ}): nothing can be in that range.");
        return (query, null);
    }

    /// <summary>The query string (without <c>?</c>) that carries <paramref name="query"/>'s filters, in the order of <see cref="Keys"/>.</summary>
    public static string ToQueryString(AuditQuery query)
    {
        var parts = new List<string>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                parts.Add($"{key}={Uri.EscapeDataString(value)}");
        }
        Add(ActorKey, query.Actor);
        Add(KindKey, query.Kind?.ToString());
        Add(ActionKey, query.Action);
        Add(TargetKey, query.Target);
        Add(DatacenterKey, query.Datacenter);
        Add(FromKey, query.From?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        Add(ToKey, query.To?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        Add(TextKey, query.Text);
        return string.Join("&", parts);
    }

    public static bool IsOverride(AuditEntry entry) => entry.Action == OverrideAction;

    private static string? Text(string key, string value, Action<string> set)
    {
        if (value.Length > MaxTextLength)
            return $"{key} is longer than {MaxTextLength} characters.";
        set(value.Trim());
        return null;
    }

    private static string? Instant(string key, string value, Action<DateTimeOffset> set)
    {
        if (!DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return $"{key} '{Shorten(value)}' is not a date and time: use ISO 8601, e.g. 2026-12-06T03:00:00Z (UTC unless it says otherwise).";
        set(at);
        return null;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
