using System.Globalization;
using System.Text;

namespace ApimConsole.Web.Incidents;

/// <summary>
/// One incident as a post-mortem takes it away: JSON (the API's shape, with parts, notes and the timeline) and Markdown
/// (the same, to paste into a report). Times are UTC, ISO 8601 in JSON and <c>yyyy-MM-dd HH:mm:ss.fff</c> in Markdown.
/// </summary>
public static class IncidentExport
{
    /// <summary>The incident as <c>GET /api/incidents</c> lists it: with its consequences and where its timeline is.</summary>
    public static object Summary(IncidentView i, DateTimeOffset now) => new
    {
        id = i.Id,
        key = i.Key,
        kind = i.Kind,
        datacenterId = i.DatacenterId,
        componentKey = i.ComponentKey,
        title = i.Title,
        severity = i.Severity,
        open = i.IsOpen,
        startedAt = i.StartedAt,
        endedAt = i.EndedAt,
        durationSeconds = Math.Round(i.Duration(now).TotalSeconds, 3),
        cassandraNodes = i.CassandraNodes,
        recoveredAt = i.RecoveredAt,
        partOf = i.ParentId,
        acknowledgedBy = i.AcknowledgedBy,
        acknowledgedAt = i.AcknowledgedAt,
        consequences = i.Consequences.Select(c => new
        {
            datacenterId = c.DatacenterId,
            componentId = c.ComponentId,
            componentKind = c.ComponentKind,
            state = c.State,
            from = c.From,
            until = c.Until,
        }),
        timeline = $"/api/incidents/{i.Id}/export?format=json",
    };

    public static object Json(IncidentDetail detail, DateTimeOffset now) => new
    {
        asOf = now,
        incident = Summary(detail.Incident, now),
        parts = detail.Parts.Select(p => Summary(p, now)),
        notes = detail.Notes.Select(n => new { at = n.At, author = n.Author, text = n.Text }),
        timeline = detail.Timeline.Select(e => new { at = e.At, source = e.Source, subject = e.Subject, text = e.Text }),
        timelineTruncated = detail.TimelineTruncated,
    };

    public static string Markdown(IncidentDetail detail, DateTimeOffset now)
    {
        var i = detail.Incident;
        var md = new StringBuilder();
        md.Append("# Incident ").Append(i.Id).Append(": ").AppendLine(Cell(i.Title)).AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        Row(md, "Kind", i.Kind);
        Row(md, "Key", i.Key);
        Row(md, "Severity", i.Severity);
        Row(md, "Started", Time(i.StartedAt));
        Row(md, "Ended", i.EndedAt is { } ended ? Time(ended) : "open");
        Row(md, "Duration", $"{i.Duration(now).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s" + (i.IsOpen ? " so far" : ""));
        if (i.CassandraNodes.Count > 0)
            Row(md, "Cassandra nodes touched", string.Join(", ", i.CassandraNodes));
        Row(md, "Acknowledged", i.AcknowledgedBy is null ? "no" : $"by {i.AcknowledgedBy} at {Time(i.AcknowledgedAt!.Value)}");
        if (i.RecoveredAt is { } recovered)
            Row(md, "Recovery complete", Time(recovered));
        md.AppendLine();

        md.AppendLine("## Consequences").AppendLine();
        if (i.Consequences.Count == 0)
            md.AppendLine("None recorded.");
        else
        {
            md.AppendLine("| Component | Kind | State | From | Until |").AppendLine("| --- | --- | --- | --- | --- |");
            foreach (var c in i.Consequences)
                md.Append("| ").Append(Cell(c.Key)).Append(" | ").Append(c.ComponentKind).Append(" | ").Append(c.State).Append(" | ")
                  .Append(Time(c.From)).Append(" | ").Append(c.Until is { } u ? Time(u) : "still").AppendLine(" |");
        }
        md.AppendLine();

        if (detail.Parts.Count > 0)
        {
            md.AppendLine("## Parts noticed before the outage was named").AppendLine();
            foreach (var p in detail.Parts)
                md.Append("- ").Append(Time(p.StartedAt)).Append(' ').Append(Cell(p.Title)).Append(" (").Append(p.Key).AppendLine(")");
            md.AppendLine();
        }

        md.AppendLine("## Notes").AppendLine();
        if (detail.Notes.Count == 0)
            md.AppendLine("None.");
        foreach (var n in detail.Notes)
            md.Append("- ").Append(Time(n.At)).Append(", ").Append(Cell(n.Author)).Append(": ").AppendLine(Cell(n.Text));
        md.AppendLine();

        md.AppendLine("## Timeline").AppendLine();
        md.AppendLine("| Time (UTC) | Source | Subject | What |").AppendLine("| --- | --- | --- | --- |");
        foreach (var e in detail.Timeline)
            md.Append("| ").Append(Time(e.At)).Append(" | ").Append(e.Source).Append(" | ").Append(Cell(e.Subject)).Append(" | ").Append(Cell(e.Text)).AppendLine(" |");
        if (detail.TimelineTruncated)
            md.AppendLine().AppendLine($"The timeline is cut at {IncidentPostMortem.MaxTimeline} lines per source.");
        md.AppendLine().Append("Exported ").Append(Time(now)).AppendLine(" UTC.");
        return md.ToString();
    }

    private static void Row(StringBuilder md, string name, string value) => md.Append("| ").Append(name).Append(" | ").Append(Cell(value)).AppendLine(" |");

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>Text in a Markdown cell or line: one line, pipes escaped.</summary>
    private static string Cell(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)
        .Replace("|", "\\|", StringComparison.Ordinal);
}
