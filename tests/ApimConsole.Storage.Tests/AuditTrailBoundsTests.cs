using ApimConsole.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>Issue #19: the audit trail stores what it is given escaped and bounded, with the actor's kind in its own column.</summary>
public sealed class AuditTrailBoundsTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("line1\nline2", "line1\\nline2")]
    [InlineData("a\r\n\tb", "a\\r\\n\\tb")]
    [InlineData("nul\0here", "nul\\u0000here")]
    [InlineData("evil\u202Etxt.exe", "evil\\u202Etxt.exe")]
    [InlineData("zero\u200Bwidth", "zero\\u200Bwidth")]
    [InlineData("emoji 😀 stays", "emoji 😀 stays")]
    public void Clean_EscapesControlAndFormattingCharacters(string given, string stored) =>
        Assert.Equal(stored, AuditText.Clean(given, AuditText.MaxActor));

    [Fact]
    public void Clean_BoundsTheLength_AndSaysSo_NeverCuttingAnEscapeInHalf()
    {
        var huge = new string('x', 4 << 20);
        var stored = AuditText.Clean(huge, AuditText.MaxActor);
        Assert.True(stored.Length <= AuditText.MaxActor, $"{stored.Length} characters");
        Assert.EndsWith($"…[cut: {huge.Length} characters in all]", stored);

        var newlines = new string('\n', 500);
        var cut = AuditText.Clean(newlines, AuditText.MaxActor);
        Assert.True(cut.Length <= AuditText.MaxActor);
        var kept = cut[..cut.IndexOf('…')];
        Assert.Matches("^(\\\\n)+$", kept);
    }

    [Fact]
    public async Task Record_StoresEscapedBoundedText_AndTheKind_NotInferredFromATypedName()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var audit = store.Services.GetRequiredService<AuditLog>();

        await audit.RecordAsync(AuditActor.User("token:bootstrap"), "signin.failed", "token:bootstrap\nsignin.succeeded", new string('d', 10_000), CancellationToken.None);
        await audit.RecordAsync("token:ci", "token.used", "GET /api/estate", null, CancellationToken.None);
        await audit.RecordAsync("system", "deployment.finished", "deployment 1", null, CancellationToken.None);
        await audit.RecordAsync("alice", "user.locked", "bob", null, CancellationToken.None);

        var entries = (await audit.RecentAsync(10, CancellationToken.None)).OrderBy(e => e.Id).ToList();
        Assert.Equal([AuditActorKind.User, AuditActorKind.Token, AuditActorKind.System, AuditActorKind.User], entries.Select(e => e.ActorKind));
        Assert.Equal("token:bootstrap\\nsignin.succeeded", entries[0].Target);
        Assert.True(entries[0].Details!.Length <= AuditText.MaxDetails);
        Assert.DoesNotContain(entries, e => (e.Actor + e.Target + e.Details).Contains('\n'));
    }

    [Theory]
    [InlineData("system", true)]
    [InlineData(" SYSTEM ", true)]
    [InlineData("token:bootstrap", true)]
    [InlineData("Token:x", true)]
    [InlineData("alice", false)]
    [InlineData("systems", false)]
    public void ReservedUserNames_AreThoseThatReadAsTheConsoleOrAToken(string name, bool reserved) =>
        Assert.Equal(reserved, AuditActor.IsReservedUserName(name));
}
