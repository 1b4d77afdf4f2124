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
/// actually decompressing so a lying header does not help), and no entry that names a path outside the archive.
/// Pure: it reads the given streams and nothing else.
/// </summary>
public static class DeploymentArchiveValidator
{
    private const int MaxFileNameLength = 200;

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
        long uncompressed = 0;
        for (var i = 0; i < uploads.Count; i++)
        {
            var content = ReadBounded(uploads[i].Content, limits.MaxUploadBytes - total);
            if (content is null)
                return Fail($"The upload is over the size limit of {limits.MaxUploadBytes} bytes.");
            total += content.Length;
            if (content.Length == 0)
                return Fail($"'{names[i]}' is empty.");
            var problem = CheckZip(names[i], content, limits, ref uncompressed);
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

    private static string? CheckZip(string name, byte[] content, DeploymentArchiveLimits limits, ref long uncompressed)
    {
        // Local file header or (for an empty archive) end of central directory.
        if (content.Length < 4 || content[0] != 'P' || content[1] != 'K')
            return $"'{name}' is not a zip archive.";
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            return $"'{name}' is not a zip archive (its directory cannot be read).";
        }
        using (zip)
        {
            if (zip.Entries.Count == 0)
                return $"'{name}' holds no entries.";
            if (zip.Entries.Count > limits.MaxEntries)
                return $"'{name}' holds {zip.Entries.Count} entries, over the limit of {limits.MaxEntries} (a zip bomb?).";
            foreach (var entry in zip.Entries)
            {
                if (!IsInside(entry.FullName))
                    return $"'{name}' has an entry with a path outside the archive: '{Shorten(entry.FullName)}'.";
            }
            var buffer = new byte[81920];
            foreach (var entry in zip.Entries)
            {
                if (entry.Length > 1 << 20 && entry.Length / Math.Max(1, entry.CompressedLength) > limits.MaxCompressionRatio)
                    return $"'{name}' entry '{Shorten(entry.FullName)}' expands {entry.Length / Math.Max(1, entry.CompressedLength)}:1, over the limit of {limits.MaxCompressionRatio}:1 (a zip bomb?).";
                // Deflate never makes data more than a few bytes per 64 KiB block larger: a compressed size beyond that
                // means the uncompressed size in the header is a lie (and the reader would trust it).
                if (entry.CompressedLength > entry.Length + 5 * (entry.Length / 65535 + 1) + 16)
                    return $"'{name}' entry '{Shorten(entry.FullName)}' claims {entry.Length} bytes but holds {entry.CompressedLength} compressed (a zip bomb?).";
                if (uncompressed + entry.Length > limits.MaxUncompressedBytes)
                    return $"'{name}' expands to more than {limits.MaxUncompressedBytes} bytes (a zip bomb?).";
                // Count what really comes out: the sizes in the headers are the sender's word.
                try
                {
                    using var stream = entry.Open();
                    long entryBytes = 0;
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        entryBytes += read;
                        uncompressed += read;
                        if (uncompressed > limits.MaxUncompressedBytes)
                            return $"'{name}' expands to more than {limits.MaxUncompressedBytes} bytes (a zip bomb?).";
                    }
                    if (entryBytes != entry.Length)
                        return $"'{name}' entry '{Shorten(entry.FullName)}' is corrupt: {entryBytes} bytes where its header says {entry.Length}.";
                }
                catch (InvalidDataException ex)
                {
                    return $"'{name}' entry '{Shorten(entry.FullName)}' is corrupt: {ex.Message}";
                }
            }
        }
        return null;
    }

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

    private static string Shorten(string? text) => text is null ? "" : text.Length > 80 ? text[..80] + "…" : text;
}
