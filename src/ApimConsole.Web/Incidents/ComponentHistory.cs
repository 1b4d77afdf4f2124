using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>
/// Read-only questions about the state changes the incident recorder stored for single components: the Datacenters page
/// asks them. The recorder's writes move <see cref="IncidentLog.Writes"/>, which is when a reader asks again.
/// </summary>
public sealed class ComponentHistory(IDbContextFactory<ConsoleDbContext> contexts)
{
    /// <summary>
    /// The last <paramref name="max"/> stored changes of each of <paramref name="componentIds"/> in
    /// <paramref name="datacenterId"/>, newest first, one query per component (each bounded), in one context.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<ComponentStateChange>>> RecentAsync(
        string datacenterId, IReadOnlyCollection<string> componentIds, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var result = new Dictionary<string, IReadOnlyList<ComponentStateChange>>(StringComparer.Ordinal);
        if (componentIds.Count == 0)
            return result;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var componentId in componentIds.Distinct(StringComparer.Ordinal))
        {
            result[componentId] = await db.ComponentStateChanges.AsNoTracking()
                .Where(c => c.DatacenterId == datacenterId && c.ComponentId == componentId)
                .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
                .Take(max)
                .ToListAsync(cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// For each of <paramref name="componentIds"/>, the last state other than Unknown the console stored for it ("Up" or
    /// "Down"); components it never saw up or down are missing. What a view shows while a component is Unknown now.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> LastSeenAsync(
        string datacenterId, IReadOnlyCollection<string> componentIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (componentIds.Count == 0)
            return result;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var componentId in componentIds.Distinct(StringComparer.Ordinal))
        {
            var state = await db.ComponentStateChanges.AsNoTracking()
                .Where(c => c.DatacenterId == datacenterId && c.ComponentId == componentId && (c.ToState == "Up" || c.ToState == "Down"))
                .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
                .Select(c => c.ToState)
                .FirstOrDefaultAsync(cancellationToken);
            if (state is not null)
                result[componentId] = state;
        }
        return result;
    }
}
