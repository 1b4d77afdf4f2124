using System.Globalization;
using System.Text;
using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Audit;

/// <summary>
/// The audit trail as CSV (RFC 4180: comma separated, CRLF line ends, a field quoted when it holds a comma, a quote or a
/// line break, quotes doubled), safe to open in a spreadsheet: a field starting with <c>=</c>, <c>+</c>, <c>-</c>,
/// <c>@</c>, a tab or a carriage return gets a leading <c>'</c>, so a user name or target such as
/// <c>=HYPERLINK(...)</c> is shown as text, never run as a formula.
/// </summary>
public static class AuditCsv
{
    public static readonly string Header = "id,at,actorKind,actor,action,target,details,breakGlass";

    public static string Line(AuditEntry entry)
    {
        var line = new StringBuilder(128);
        line.Append(entry.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(entry.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)).Append(',')
            .Append(entry.ActorKind.ToString()).Append(',')
            .Append(Field(entry.Actor)).Append(',')
            .Append(Field(entry.Action)).Append(',')
            .Append(Field(entry.Target)).Append(',')
            .Append(Field(entry.Details)).Append(',')
            .Append(AuditFilter.IsOverride(entry) ? "true" : "false");
        return line.ToString();
    }

    /// <summary>One field: formula-safe, then quoted if it needs to be.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>Writes the header and every entry to <paramref name="output"/> as they come, flushing every 500 lines.</summary>
    public static async Task WriteAsync(Stream output, IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(Header);
        var lines = 0;
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(Line(entry));
            if (++lines % 500 == 0)
                await writer.FlushAsync(cancellationToken);
        }
        await writer.FlushAsync(cancellationToken);
    }
}
