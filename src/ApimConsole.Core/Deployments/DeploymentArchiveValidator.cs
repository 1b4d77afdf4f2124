using System.IO.Compression;
using System.Security.Cryptography;

namespace ApimConsole.Core.Deployments;

/// <summary>How much an upload may hold before it is refused (bound from <c>Deployments:Limits</c>).</summary>
public sealed class DeploymentArchiveLimits
{
    /// <summary>All uploaded files together, as sent.</summary>
    public long MaxUploadBytes { get; set; } = 64L << 20;
    /// <summary>All entries of all archives together, once decompressed.</summary>
    public long MaxUncompressedBytes { get; set; } = 256L << 20;
    /// <summary>Entries in one archive.</summary>
    public int MaxEntries { get; set; } = 20_000;
    /// <summary>Uncompressed to compressed size of one entry; real policy XML compresses about 10:1.</summary>
    public int MaxCompressionRatio { get; set; } = 200;
}

/// <summary>How the configuration comes: one <c>.fed</c>, or a policy archive with its environment archive.</summary>
public enum DeploymentArchiveFormat
{
    Fed,
    PolicyAndEnvironment,
}

/// <summary>One uploaded file as received: its name and its bytes (read once, bounded).</summary>
public sealed record DeploymentFile(string FileName, byte[] Content);

/// <summary>An upload that passed every check, ready to push as is.</summary>
/// <param name="Sha256">Of the files' bytes in push order (policy first), lower-case hex: what the console records.</param>
public sealed record DeploymentArchive(DeploymentArchiveFormat Format, IReadOnlyList<DeploymentFile> Files, long Bytes, string Sha256)
{
    public string FileNames => string.Join(" + ", Files.Select(f => f.FileName));
}

/// <summary>The outcome of <see cref="DeploymentArchiveValidator.Validate"/>: an archive, or the problem in words.</summary>
public sealed record DeploymentArchiveCheck(DeploymentArchive? Archive, string? Problem)
{
    public bool IsValid => Archive is not null;
}

/// <summary>
/// Checks an upload before anything is stored or pushed: a <c>.fed</c> alone or a <c>.pol</c> with its <c>.env</c>,
/// each a zip within the size limit, no zip bomb (entry count, total uncompressed size, compression ratio, counted while
/// actually decompressing so a lying header does not help), no entry that names a path outside the archive, no two
/// entries of the same name, no control character in a name, no name over <see cref="MaxEntryNameLength"/>, and an
/// archive nested in an entry (a jar, a zip) is opened and checked the same way, its entries and bytes counted against
/// the same limits, at most <see cref="MaxNestingDepth"/> deep. Pure: it reads the given streams and nothing else.
/// </summary>
public static class DeploymentArchiveValidator
{
    private const int MaxFileNameLength = 200;

    /// <summary>Longest entry name (its whole path in the archive) accepted.</summary>
    public const int MaxEntryNameLength = 1024;

    /// <summary>Archives inside archives inside the upload, at most.</summary>
    public const int MaxNestingDepth = 3;

    /// <summary>What all archives of one upload, nested ones included, have used of the limits so far.</summary>
    private sealed class Budget
    {
        public long Uncompressed;
        public long Entries;
    }

    public static DeploymentArchiveCheck Validate(IReadOnlyList<(string FileName, Stream Content)> uploads, DeploymentArchiveLimits limits)
    {
        if (uploads.Count == 0)
            return Fail("No file was uploaded: send one .fed, or a .pol with its .env.");
        if (uploads.Count > 2)
            return Fail($"{uploads.Count} files were uploaded: send one .fed, or a .pol with its .env.");

        var names = new List<string>();
        foreach (var (fileName, _) in uploads)
        {
            var name = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
            if (name.Length == 0 || name.Length > MaxFileNameLength || name.Any(char.IsControl))
                return Fail($"The file name '{Shorten(fileName)}' is not usable.");
            var extension = Path.GetExtension(name).ToLowerInvariant();
            if (extension is not (".fed" or ".pol" or ".env"))
                return Fail($"'{name}' is not a .fed, .pol or .env file.");
            names.Add(name);
        }

        var extensions = names.Select(n => Path.GetExtension(n).ToLowerInvariant()).ToList();
        DeploymentArchiveFormat format;
        if (extensions is [".fed"])
            format = DeploymentArchiveFormat.Fed;
        else if (extensions.Contains(".fed"))
            return Fail("A .fed is deployed alone: send it without other files.");
        else if (extensions is [".pol"])
            return Fail($"'{names[0]}' is a .pol without its .env: send both.");
        else if (extensions is [".env"])
            return Fail($"'{names[0]}' is a .env without its .pol: send both.");
        else if (extensions.Count == 2 && extensions.Contains(".pol") && extensions.Contains(".env"))
            format = DeploymentArchiveFormat.PolicyAndEnvironment;
        else
            return Fail($"{string.Join(" and ", names)} are not a .pol with its .env.");

        var files = new List<DeploymentFile>();
        long total = 0;
        var budget = new Budget();
        for (var i = 0; i < uploads.Count; i++)
        {
            var content = ReadBounded(uploads[i].Content, limits.MaxUploadBytes - total);
            if (content is null)
                return Fail($"The upload is over the size limit of {limits.MaxUploadBytes} bytes.");
            total += content.Length;
            if (content.Length == 0)
                return Fail($"'{names[i]}' is empty.");
            var problem = CheckZip($"'{names[i]}'", content, limits, budget, depth: 0);
            if (problem is not null)
                return Fail(problem);
            files.Add(new DeploymentFile(names[i], content));
        }

        // The policy archive first, then the environment: one pair, one order, one hash.
        files = files.OrderBy(f => f.FileName.EndsWith(".env", StringComparison.OrdinalIgnoreCase) ? 1 : 0).ToList();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files)
            sha.AppendData(f.Content);
        return new DeploymentArchiveCheck(new DeploymentArchive(format, files, total, Convert.ToHexStringLower(sha.GetHashAndReset())), null);
    }

    /// <param name="label">How to name this archive in a problem: <c>'x.fed'</c>, or <c>'x.fed' entry 'lib/a.jar'</c> for a nested one.</param>
    private static string? CheckZip(string label, byte[] content, DeploymentArchiveLimits limits, Budget budget, int depth)
    {
        // Local file header or (for an empty archive) end of central directory.
        if (content.Length < 4 || content[0] != 'P' || content[1] != 'K')
            return $"{label} is not a zip archive.";
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            return $"{label} is not a zip archive (its directory cannot be read).";
        }
        using (zip)
        {
            if (zip.Entries.Count == 0)
                return depth == 0 ? $"{label} holds no entries." : null;
            budget.Entries += zip.Entries.Count;
            if (zip.Entries.Count > limits.MaxEntries)
                return $"{label} holds {zip.Entries.Count} entries, over the limit of {limits.MaxEntries} (a zip bomb?).";
            if (budget.Entries > limits.MaxEntries)
                return $"{label} brings the entries of the upload's archives to {budget.Entries}, over the limit of {limits.MaxEntries} (a zip bomb?).";
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                var entryName = entry.FullName;
                if (entryName.Length > MaxEntryNameLength)
                    return $"{label} has an entry whose name is {entryName.Length} characters long, over the limit of {MaxEntryNameLength}: '{Shorten(entryName)}'.";
                if (entryName.Any(char.IsControl))
                    return $"{label} has an entry whose name holds a control character (U+{(int)entryName.First(c => char.IsControl(c)):X4}): '{Shorten(entryName)}'.";
                if (!IsInside(entryName))
                    return $"{label} has an entry with a path outside the archive: '{Shorten(entryName)}'.";
                if (!seen.Add(entryName.Replace('\\', '/')))
                    return $"{label} has two entries named '{Shorten(entryName)}': which one would be deployed is up to the reader.";
            }
            var buffer = new byte[81920];
            foreach (var entry in zip.Entries)
            {
                var entryLabel = $"{label} entry '{Shorten(entry.FullName)}'";
                if (entry.Length > 1 << 20 && entry.Length / Math.Max(1, entry.CompressedLength) > limits.MaxCompressionRatio)
                    return $"{entryLabel} expands {entry.Length / Math.Max(1, entry.CompressedLength)}:1, over the limit of {limits.MaxCompressionRatio}:1 (a zip bomb?).";
                // Deflate never makes data more than a few bytes per 64 KiB block larger: a compressed size beyond that
                // means the uncompressed size in the header is a lie (and the reader would trust it).
                if (entry.CompressedLength > entry.Length + 5 * (entry.Length / 65535 + 1) + 16)
                    return $"{entryLabel} claims {entry.Length} bytes but holds {entry.CompressedLength} compressed (a zip bomb?).";
                if (budget.Uncompressed + entry.Length > limits.MaxUncompressedBytes)
                    return $"{Expands(label, depth)} to more than {limits.MaxUncompressedBytes} bytes (a zip bomb?).";
                // Count what really comes out: the sizes in the headers are the sender's word. An entry that starts
                // like a zip is kept (within the same budget) and opened in turn.
                MemoryStream? nested = null;
                try
                {
                    using var stream = entry.Open();
                    long entryBytes = 0;
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        if (entryBytes == 0 && read >= 4 && buffer[0] == 'P' && buffer[1] == 'K' && buffer[2] == 3 && buffer[3] == 4)
                            nested = new MemoryStream();
                        nested?.Write(buffer, 0, read);
                        entryBytes += read;
                        budget.Uncompressed += read;
                        if (budget.Uncompressed > limits.MaxUncompressedBytes)
                            return $"{Expands(label, depth)} to more than {limits.MaxUncompressedBytes} bytes (a zip bomb?).";
                    }
                    if (entryBytes != entry.Length)
                        return $"{entryLabel} is corrupt: {entryBytes} bytes where its header says {entry.Length}.";
                }
                catch (InvalidDataException ex)
                {
                    return $"{entryLabel} is corrupt: {ex.Message}";
                }
                if (nested is not null)
                {
                    if (depth + 1 > MaxNestingDepth)
                        return $"{entryLabel} is an archive nested more than {MaxNestingDepth} deep (a zip bomb?).";
                    var problem = CheckZip(entryLabel, nested.ToArray(), limits, budget, depth + 1);
                    if (problem is not null)
                        return problem;
                }
            }
        }
        return null;
    }

    private static string Expands(string label, int depth) =>
        depth == 0 ? $"{label} expands" : $"{label}, an archive inside the upload, expands";

    /// <summary>Relative, without <c>..</c> segments, drive letters or a leading slash, in either separator.</summary>
    private static bool IsInside(string entryName)
    {
        var path = entryName.Replace('\\', '/');
        if (path.Length == 0 || path.StartsWith('/') || path.Contains(':') || path.Contains('\0'))
            return false;
        return !path.Split('/').Any(segment => segment == "..");
    }

    /// <summary>The stream's bytes, or null when there are more than <paramref name="max"/>.</summary>
    private static byte[]? ReadBounded(Stream stream, long max)
    {
        using var collected = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (collected.Length + read > max)
                return null;
            collected.Write(buffer, 0, read);
        }
        return collected.ToArray();
    }

    private static DeploymentArchiveCheck Fail(string problem) => new(null, problem);

    /// <summary>At most 80 characters of a name, control characters shown as <c>\uXXXX</c>.</summary>
    private static string Shorten(string? text)
    {
        if (text is null)
            return "";
        var cut = text.Length > 80 ? text[..80] : text;
        var shown = string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));
        return text.Length > 80 ? shown + "…" : shown;
    }
}
