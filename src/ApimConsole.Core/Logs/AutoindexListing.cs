using System.Globalization;
using System.Text.Json;

namespace ApimConsole.Core.Logs;

/// <summary>One entry of a directory listing.</summary>
/// <param name="Size">Bytes for a file; null for a directory (nginx gives none).</param>
public sealed record AutoindexEntry(string Name, bool IsDirectory, DateTimeOffset? LastModified, long? Size);

/// <summary>
/// Reads nginx's <c>autoindex_format json</c> listing:
/// <c>[{ "name":"x.trc", "type":"file", "mtime":"Mon, 23 Nov 2026 19:34:16 GMT", "size":6 }, { "name":"g1", "type":"directory", "mtime":"..." }]</c>.
/// Entries of other types (nginx also lists "other") are left out.
/// </summary>
public static class AutoindexListing
{
    /// <summary>The entries; a <see cref="FormatException"/> saying what is wrong when the text is not such a listing.</summary>
    public static IReadOnlyList<AutoindexEntry> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"the directory listing is not JSON ({e.Message}); the server needs 'autoindex on; autoindex_format json;'", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException("the directory listing is not a JSON array; the server needs 'autoindex_format json;'");
            var result = new List<AutoindexEntry>();
            var index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString())
                    || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                    throw new FormatException($"directory listing entry {index} lacks a 'name' or 'type'");
                var n = name.GetString()!;
                if (n is "." or ".." || n.Contains('/') || n.Contains('\\'))
                    throw new FormatException($"directory listing entry {index} has a name that is not a plain file name: '{n}'");
                DateTimeOffset? mtime = null;
                if (item.TryGetProperty("mtime", out var m) && m.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParseExact(m.GetString(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    mtime = parsed;
                long? size = item.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var bytes) && bytes >= 0 ? bytes : null;
                switch (type.GetString())
                {
                    case "directory":
                        result.Add(new AutoindexEntry(n, true, mtime, null));
                        break;
                    case "file":
                        if (size is null)
                            throw new FormatException($"directory listing entry '{n}' is a file without a 'size'");
                        result.Add(new AutoindexEntry(n, false, mtime, size));
                        break;
                }
                index++;
            }
            return result;
        }
    }
}
