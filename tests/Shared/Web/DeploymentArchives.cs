using System.IO.Compression;
using System.Text;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>Deployment uploads built in memory, for the HTTP tests and the Deployments page tests alike.</summary>
public static class DeploymentArchives
{
    public static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                // Stored, not deflated: the lab looks for its marker in the archive's raw bytes.
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }
        return buffer.ToArray();
    }
}
