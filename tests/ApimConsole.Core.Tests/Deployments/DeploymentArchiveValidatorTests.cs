using System.IO.Compression;
using System.Text;
using ApimConsole.Core.Deployments;

namespace ApimConsole.Core.Tests.Deployments;

public sealed class DeploymentArchiveValidatorTests
{
    private static readonly DeploymentArchiveLimits Limits = new();

    internal static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] Zip(string name, string content) => Zip((name, Encoding.UTF8.GetBytes(content)));

    private static DeploymentArchiveCheck Validate(DeploymentArchiveLimits limits, params (string Name, byte[] Content)[] files) =>
        DeploymentArchiveValidator.Validate(files.Select(f => (f.Name, (Stream)new MemoryStream(f.Content))).ToList(), limits);

    private static DeploymentArchiveCheck Validate(params (string Name, byte[] Content)[] files) => Validate(Limits, files);

    private static void AssertRefused(DeploymentArchiveCheck check, string expected)
    {
        Assert.False(check.IsValid);
        Assert.Null(check.Archive);
        Assert.Contains(expected, check.Problem);
    }

    [Fact]
    public void Fed_IsAccepted_WithItsBytesAndHash()
    {
        var fed = Zip("configs.xml", "<entityStore/>");
        var check = Validate(("prod.fed", fed));
        Assert.True(check.IsValid, check.Problem);
        Assert.Equal(DeploymentArchiveFormat.Fed, check.Archive!.Format);
        Assert.Equal(fed, check.Archive.Files.Single().Content);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fed)), check.Archive.Sha256);
    }

    [Fact]
    public void PolicyWithEnvironment_IsAccepted_PolicyFirstWhateverTheOrder()
    {
        var check = Validate(("zone.env", Zip("env.xml", "e")), ("zone.pol", Zip("pol.xml", "p")));
        Assert.True(check.IsValid, check.Problem);
        Assert.Equal(DeploymentArchiveFormat.PolicyAndEnvironment, check.Archive!.Format);
        Assert.Equal(["zone.pol", "zone.env"], check.Archive.Files.Select(f => f.FileName));
    }

    [Fact]
    public void NoFile_IsRefused() => AssertRefused(Validate(), "No file was uploaded");

    [Fact]
    public void NotAZip_IsRefused() => AssertRefused(Validate(("prod.fed", Encoding.UTF8.GetBytes("hello, not a zip"))), "'prod.fed' is not a zip archive");

    [Fact]
    public void TruncatedZip_IsRefused()
    {
        var fed = Zip("configs.xml", new string('x', 5000));
        AssertRefused(Validate(("prod.fed", fed[..(fed.Length / 2)])), "'prod.fed' is not a zip archive");
    }

    [Fact]
    public void EmptyFile_IsRefused() => AssertRefused(Validate(("prod.fed", [])), "'prod.fed' is empty");

    [Fact]
    public void ZipWithoutEntries_IsRefused() => AssertRefused(Validate(("prod.fed", Zip())), "holds no entries");

    [Fact]
    public void PolicyWithoutEnvironment_IsRefused() => AssertRefused(Validate(("zone.pol", Zip("p.xml", "p"))), "'zone.pol' is a .pol without its .env");

    [Fact]
    public void EnvironmentWithoutPolicy_IsRefused() => AssertRefused(Validate(("zone.env", Zip("e.xml", "e"))), "without its .pol");

    [Fact]
    public void FedWithAnotherFile_IsRefused() => AssertRefused(Validate(("a.fed", Zip("a", "a")), ("b.env", Zip("b", "b"))), "A .fed is deployed alone");

    [Fact]
    public void TwoPolicies_AreRefused() => AssertRefused(Validate(("a.pol", Zip("a", "a")), ("b.pol", Zip("b", "b"))), "are not a .pol with its .env");

    [Fact]
    public void UnknownExtension_IsRefused() => AssertRefused(Validate(("prod.zip", Zip("a", "a"))), "'prod.zip' is not a .fed, .pol or .env file");

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("configs/../../outside.xml")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/Windows/win.ini")]
    [InlineData("..\\..\\evil.xml")]
    public void EntryOutsideTheArchive_IsRefused(string entry) =>
        AssertRefused(Validate(("prod.fed", Zip((entry, [1, 2, 3])))), "has an entry with a path outside the archive");

    [Fact]
    public void OverTheSizeLimit_IsRefused()
    {
        var limits = new DeploymentArchiveLimits { MaxUploadBytes = 1000 };
        var big = Zip(("noise.bin", System.Security.Cryptography.RandomNumberGenerator.GetBytes(2000)));
        AssertRefused(Validate(limits, ("prod.fed", big)), "over the size limit of 1000 bytes");
    }

    [Fact]
    public void PairOverTheSizeLimitTogether_IsRefused()
    {
        var half = Zip(("noise.bin", System.Security.Cryptography.RandomNumberGenerator.GetBytes(700)));
        var limits = new DeploymentArchiveLimits { MaxUploadBytes = half.Length * 2 - 1 };
        Assert.Contains("without its .env", Validate(limits, ("a.pol", half)).Problem);
        AssertRefused(Validate(limits, ("a.pol", half), ("a.env", half)), "over the size limit");
    }

    [Fact]
    public void ZipBomb_ByRatio_IsRefused() =>
        AssertRefused(Validate(("bomb.fed", Zip(("zeros.bin", new byte[20 << 20])))), "over the limit of 200:1 (a zip bomb?)");

    [Fact]
    public void ZipBomb_ByTotalSize_IsRefused()
    {
        var limits = new DeploymentArchiveLimits { MaxUncompressedBytes = 100_000, MaxCompressionRatio = int.MaxValue };
        var entries = Enumerable.Range(0, 3).Select(i => ($"part{i}.xml", new byte[50_000])).ToArray();
        AssertRefused(Validate(limits, ("bomb.fed", Zip(entries))), "expands to more than 100000 bytes (a zip bomb?)");
    }

    [Fact]
    public void ZipBomb_ByEntryCount_IsRefused()
    {
        var limits = new DeploymentArchiveLimits { MaxEntries = 10 };
        var entries = Enumerable.Range(0, 11).Select(i => ($"e{i}.xml", new byte[] { 1 })).ToArray();
        AssertRefused(Validate(limits, ("many.fed", Zip(entries))), "holds 11 entries, over the limit of 10");
    }

    [Fact]
    public void ZipBomb_WithALyingHeader_IsCaughtWhileDecompressing()
    {
        // Claim 10 bytes uncompressed in both headers while the deflate stream really holds 300 000.
        var zip = Zip(("liar.xml", new byte[300_000]));
        PatchUncompressedSizes(zip, 10);
        var limits = new DeploymentArchiveLimits { MaxUncompressedBytes = 100_000, MaxCompressionRatio = int.MaxValue };
        var check = Validate(limits, ("liar.fed", zip));
        AssertRefused(check, "claims 10 bytes but holds");
    }

    /// <summary>Rewrites the uncompressed size in the local header (offset 22) and the central directory entry (offset 24).</summary>
    private static void PatchUncompressedSizes(byte[] zip, uint size)
    {
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4)
                BitConverter.TryWriteBytes(zip.AsSpan(i + 22, 4), size);
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2)
                BitConverter.TryWriteBytes(zip.AsSpan(i + 24, 4), size);
        }
    }
}
