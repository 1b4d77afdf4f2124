using System.IO.Compression;
using System.Text;
using ApimConsole.Core.Deployments;

namespace ApimConsole.Core.Tests.Deployments;

/// <summary>
/// Issue #19 point 6: archive oddities an administrator's upload could carry are refused with a problem naming the
/// entry; an override reason must say something.
/// </summary>
public sealed class ArchiveOdditiesTests
{
    private static readonly DeploymentArchiveLimits Limits = new();

    private static byte[] Zip(params (string Name, byte[] Content)[] entries) => DeploymentArchiveValidatorTests.Zip(entries);

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static DeploymentArchiveCheck Validate(byte[] fed, DeploymentArchiveLimits? limits = null) =>
        DeploymentArchiveValidator.Validate([("prod.fed", new MemoryStream(fed))], limits ?? Limits);

    private static void AssertRefused(DeploymentArchiveCheck check, params string[] expected)
    {
        Assert.False(check.IsValid);
        foreach (var text in expected)
            Assert.Contains(text, check.Problem);
    }

    [Fact]
    public void DuplicateEntryNames_AreRefused_NamingTheEntry() =>
        AssertRefused(Validate(Zip(("configs.xml", Text("<a/>")), ("configs.xml", Text("<b/>")))), "'prod.fed'", "two entries named 'configs.xml'");

    [Fact]
    public void DuplicateEntryNames_InEitherSeparator_AreRefused() =>
        AssertRefused(Validate(Zip(("dir/configs.xml", Text("<a/>")), ("dir\\configs.xml", Text("<b/>")))), "two entries named");

    [Theory]
    [InlineData("configs\0.xml", "U+0000")]
    [InlineData("configs\n.xml", "U+000A")]
    [InlineData("configs\u001b[2J.xml", "U+001B")]
    public void AControlCharacterInAName_IsRefused_NamingTheEntry_Escaped(string name, string code)
    {
        var check = Validate(Zip((name, Text("<a/>"))));
        AssertRefused(check, "control character", code, "'configs\\u");
        Assert.DoesNotContain(check.Problem!, c => char.IsControl(c));
    }

    [Fact]
    public void ASixtyThousandCharacterName_IsRefused_SayingTheLimit()
    {
        var check = Validate(Zip((new string('n', 60_000) + ".xml", Text("<a/>"))));
        AssertRefused(check, "60004 characters long", $"limit of {DeploymentArchiveValidator.MaxEntryNameLength}");
        Assert.True(check.Problem!.Length < 400, "The problem quotes the name shortened");
    }

    [Fact]
    public void ANameAtTheLimit_IsAccepted()
    {
        var check = Validate(Zip((new string('n', DeploymentArchiveValidator.MaxEntryNameLength - 4) + ".xml", Text("<a/>"))));
        Assert.True(check.IsValid, check.Problem);
    }

    [Fact]
    public void AZipBombNestedInAnEntry_IsRefused_NamingTheNestedEntry()
    {
        // 2 MB of zeros compress to a few KB: harmless to the outer archive's checks, over a 1 MB budget once opened.
        var bomb = Zip(("zeros.bin", new byte[2 << 20]));
        var fed = Zip(("configs.xml", Text("<entityStore/>")), ("lib/inner.zip", bomb));
        var limits = new DeploymentArchiveLimits { MaxUncompressedBytes = 1 << 20 };
        AssertRefused(Validate(fed, limits), "'prod.fed' entry 'lib/inner.zip'", "zip bomb");
        // Without the nesting the same outer archive was accepted: only opening it finds the bomb.
        Assert.True(bomb.Length < 1 << 20);
    }

    [Fact]
    public void ANestedArchive_CountsAgainstTheRatioLimit_AndAnArchiveNestedTooDeep_IsRefused()
    {
        var ratio = Zip(("zeros.bin", new byte[4 << 20]));
        AssertRefused(Validate(Zip(("a.jar", ratio))), "'prod.fed' entry 'a.jar' entry 'zeros.bin' expands", "zip bomb");

        var deep = Zip(("x.xml", Text("<x/>")));
        for (var i = 0; i < DeploymentArchiveValidator.MaxNestingDepth + 1; i++)
            deep = Zip(($"level{i}.zip", deep));
        AssertRefused(Validate(deep), "nested more than");
    }

    [Fact]
    public void AnOrdinaryNestedJar_IsAccepted()
    {
        var jar = Zip(("META-INF/MANIFEST.MF", Text("Manifest-Version: 1.0\n")), ("com/example/Filter.class", new byte[2048]));
        var check = Validate(Zip(("configs.xml", Text("<entityStore/>")), ("lib/filters.jar", jar)));
        Assert.True(check.IsValid, check.Problem);
    }

    [Fact]
    public void NestedEntries_CountAgainstTheEntryLimit()
    {
        var inner = Zip(Enumerable.Range(0, 8).Select(i => ($"e{i}.xml", Text("<e/>"))).ToArray());
        var fed = Zip(("a.zip", inner), ("b.zip", inner));
        AssertRefused(Validate(fed, new DeploymentArchiveLimits { MaxEntries = 10 }), "over the limit of 10");
    }

    [Theory]
    [InlineData("...........")]
    [InlineData("           x")]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("1234567890123")]
    [InlineData("!!!!!!!!!!!!!!!!ok")]
    [InlineData("fix it")]
    [InlineData("INC-4711 \u0000 dc2 rebuilt")]
    public void AnOverrideReasonThatSaysNothing_IsRefused(string reason) =>
        Assert.NotNull(DeploymentOverrideReason.Problem(reason.Trim()));

    [Theory]
    [InlineData("INC-4711: dc2 is being rebuilt")]
    [InlineData("Security fix INC-4711 must go out now")]
    [InlineData("Notfall: Zertifikat läuft ab")]
    public void AnOverrideReasonInWords_IsAccepted(string reason) =>
        Assert.Null(DeploymentOverrideReason.Problem(reason));
}
