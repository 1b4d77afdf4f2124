using System.Text;
using ApimConsole.Core.Logs;

namespace ApimConsole.Core.Tests.Logs;

public sealed class TraceLineParserTests
{
    private const string Header = "INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] run circuit \"Orders API\"\n";

    [Fact]
    public void HeaderLine_ParsesEveryField()
    {
        var entry = Assert.Single(TraceLineParser.ParseAll(Header));

        Assert.Equal(TraceLevel.Info, entry.Level);
        Assert.Equal(new DateTime(2020, 9, 15, 10, 46, 33, 426, DateTimeKind.Unspecified), entry.Time);
        Assert.Equal(DateTimeKind.Unspecified, entry.Time!.Value.Kind);
        Assert.Equal("455a", entry.Thread);
        Assert.Equal("697f605fdb408a78c01cc73e", entry.CorrelationId);
        Assert.Equal("run circuit \"Orders API\"", entry.Message);
        Assert.False(entry.IsMalformed);
        Assert.Null(entry.Note);
        Assert.Equal(0, entry.Offset);
        Assert.Equal(Encoding.UTF8.GetByteCount(Header), entry.Length);
    }

    [Theory]
    [InlineData("FATAL   ", TraceLevel.Fatal)]
    [InlineData("ERROR   ", TraceLevel.Error)]
    [InlineData("DEBUG   ", TraceLevel.Debug)]
    [InlineData("DATA    ", TraceLevel.Data)]
    public void EveryLevel_IsRecognised(string padded, TraceLevel level)
    {
        var entry = Assert.Single(TraceLineParser.ParseAll(padded + "01/Jan/2026:00:00:00.000 [1f:697f605fdb408a78c01cc73e] x\n"));
        Assert.Equal(level, entry.Level);
        Assert.False(entry.IsMalformed);
    }

    [Fact]
    public void RightAlignedLevel_IsReadToo_ButAnIndentedContinuationStaysOne()
    {
        var entries = TraceLineParser.ParseAll(
            "   ERROR 15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] right-aligned\n" +
            "    INFO is only the word of a dumped header\n");

        var entry = Assert.Single(entries);
        Assert.Equal(TraceLevel.Error, entry.Level);
        Assert.Equal("right-aligned\n    INFO is only the word of a dumped header", entry.Message);
    }

    [Fact]
    public void AllZeroCorrelation_IsNotInATransaction()
    {
        var entry = Assert.Single(TraceLineParser.ParseAll("INFO    23/Nov/2026:19:30:00.001 [0a1b:000000000000000000000000] Server started\n"));
        Assert.Null(entry.CorrelationId);
        Assert.Equal("0a1b", entry.Thread);
        Assert.Equal("Server started", entry.Message);
    }

    [Fact]
    public void ContinuationLines_AttachToThePreviousEntry()
    {
        var text =
            "ERROR   23/Nov/2026:19:30:00.001 [0a1b:697f605fdb408a78c01cc73e] Exception caught:\n" +
            "java.lang.NullPointerException: null\n" +
            "\tat com.vordel.circuit.Filter.invoke(Filter.java:42)\n" +
            "INFO    23/Nov/2026:19:30:00.002 [0a1b:000000000000000000000000] next\n";

        var entries = TraceLineParser.ParseAll(text);

        Assert.Equal(2, entries.Count);
        Assert.Equal("Exception caught:\njava.lang.NullPointerException: null\n\tat com.vordel.circuit.Filter.invoke(Filter.java:42)", entries[0].Message);
        Assert.Equal("697f605fdb408a78c01cc73e", entries[0].CorrelationId);
        Assert.Equal(entries[0].EndOffset, entries[1].Offset);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), entries[1].EndOffset);
    }

    [Fact]
    public void MessageIndentation_IsKept()
    {
        var entry = Assert.Single(TraceLineParser.ParseAll("DEBUG   23/Nov/2026:19:30:00.001 [0a1b:697f605fdb408a78c01cc73e]     filter 'Set service context' returns true\n"));
        Assert.Equal("    filter 'Set service context' returns true", entry.Message);
    }

    [Theory]
    [InlineData("INFO    99/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] bad day", "timestamp")]
    [InlineData("INFO    15/Sept/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] bad month", "timestamp")]
    [InlineData("INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e no closing bracket", "not closed")]
    [InlineData("INFO    15/Sep/2020:10:46:33.426 [worker-7] a thread that is not hex", "thread id")]
    [InlineData("INFO    15/Sep/2020:10:46:33.426[455a] no space after the timestamp", "runs into")]
    [InlineData("INFO    15/Sep/2020:10:46:33.42 [455a] two-digit milliseconds", "timestamp")]
    [InlineData("INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb] short id", "24 hex")]
    [InlineData("INFO    15/Sep/2020:10:46:33.426 [455a:zz7f605fdb408a78c01cc73e] not hex", "24 hex")]
    [InlineData("ERROR", null)]
    public void BrokenHeader_IsMalformedWithRawTextAndANote(string line, string? noteFragment)
    {
        var entry = Assert.Single(TraceLineParser.ParseAll(line + "\n"));
        Assert.True(entry.IsMalformed);
        Assert.Equal(line, entry.Message);
        Assert.Equal(TraceLevel.Unknown, entry.Level);
        Assert.NotNull(entry.Note);
        if (noteFragment is not null)
            Assert.Contains(noteFragment, entry.Note);
    }

    // The forms the product documentation shows, each an entry: the trace format page ("TraceLevel Timestamp
    // [thread-id] TraceMessage", docs.oracle.com/cd/E50612_01/doc.11122/user_guide/content/tracing.html and
    // axway-open-docs apigtw_auth_auth/oracle_access_manager_integration.md), 7.x lines with a correlation id
    // (axway-open-docs apimgr_sso/c_saml_trouble.md), and a start-up line without milliseconds or thread
    // (axway-open-docs apigtw_admin/general_certificates.md).
    [Theory]
    [InlineData("INFO    15/Jun/2012:09:54:01.047 [1b10] Realtime monitoring enabled", TraceLevel.Info, "1b10", null, "Realtime monitoring enabled", 47)]
    [InlineData("DEBUG 11/Dec/2012:13:07:44.090 [0794] run circuit \"OAM 11g\"...", TraceLevel.Debug, "0794", null, "run circuit \"OAM 11g\"...", 90)]
    [InlineData("DEBUG   23/Oct/2012:15:28:45.183 [42687940]     creating subject from 'weblogic'", TraceLevel.Debug, "42687940", null, "    creating subject from 'weblogic'", 183)]
    [InlineData("ERROR 14/Jan/2020:13:48:13.095 [0523:9dc61d5e141fcd2ba54007f1] An error occurred during SSO processing:", TraceLevel.Error, "0523", "9dc61d5e141fcd2ba54007f1", "An error occurred during SSO processing:", 95)]
    [InlineData("ERROR   25/Jun/2020:09:38:10.280 [1e3b:000000000000000000000000] error handling connection", TraceLevel.Error, "1e3b", null, "error handling connection", 280)]
    [InlineData("INFO    07/Jan/2015:16:31:54 Initializing certificate realm 'JMS Keys'...", TraceLevel.Info, null, null, "Initializing certificate realm 'JMS Keys'...", 0)]
    public void DocumentedForms_AreEntries(string line, TraceLevel level, string? thread, string? correlationId, string message, int millisecond)
    {
        var entry = Assert.Single(TraceLineParser.ParseAll(line + "\n"));
        Assert.False(entry.IsMalformed, entry.Note);
        Assert.Null(entry.Note);
        Assert.Equal(level, entry.Level);
        Assert.Equal(thread, entry.Thread);
        Assert.Equal(correlationId, entry.CorrelationId);
        Assert.Equal(message, entry.Message);
        Assert.Equal(millisecond, entry.Time!.Value.Millisecond);
    }

    [Fact]
    public void ThreadOnlyEntry_TakesItsContinuationLines()
    {
        var entries = TraceLineParser.ParseAll("ERROR   11/Dec/2012:14:35:42.487 [0ad4] java exception:\n\tat com.vordel.X.y(X.java:1)\n" + Header);
        Assert.Equal(2, entries.Count);
        Assert.Equal("java exception:\n\tat com.vordel.X.y(X.java:1)", entries[0].Message);
        Assert.Null(entries[0].CorrelationId);
        Assert.Equal("697f605fdb408a78c01cc73e", entries[1].CorrelationId);
    }

    [Fact]
    public void MalformedLine_DoesNotSwallowTheNextEntry()
    {
        var entries = TraceLineParser.ParseAll(Header + "INFO    garbage\n" + Header);
        Assert.Equal(3, entries.Count);
        Assert.False(entries[0].IsMalformed);
        Assert.True(entries[1].IsMalformed);
        Assert.False(entries[2].IsMalformed);
        Assert.Equal("run circuit \"Orders API\"", entries[0].Message);
    }

    [Fact]
    public void ContinuationWithoutHeader_IsShownWithANote()
    {
        var entries = TraceLineParser.ParseAll("\tat com.vordel.Something(Something.java:1)\n" + Header);
        Assert.Equal(2, entries.Count);
        Assert.True(entries[0].IsMalformed);
        Assert.Contains("continuation", entries[0].Note);
        Assert.Equal(TraceLevel.Info, entries[1].Level);
    }

    [Fact]
    public void BinaryGarbage_IsFlaggedAndDoesNotBreakTheNextLines()
    {
        var garbage = new byte[] { 0x00, 0xff, 0xfe, 0x1b, (byte)'[', (byte)'2', (byte)'J', 0xc3, 0x28, (byte)'\n' };
        var bytes = Encoding.UTF8.GetBytes(Header).Concat(garbage).Concat(Encoding.UTF8.GetBytes(Header)).ToArray();

        var entries = TraceLineParser.ParseAll(bytes);

        Assert.Equal(3, entries.Count);
        Assert.True(entries[1].IsMalformed);
        Assert.Contains("not text", entries[1].Note);
        Assert.DoesNotContain('\0', entries[1].Message);
        Assert.DoesNotContain('\u001b', entries[1].Message);
        Assert.Equal(garbage.Length, entries[1].Length);
        Assert.Equal("697f605fdb408a78c01cc73e", entries[2].CorrelationId);
    }

    [Fact]
    public void NonAsciiUtf8_IsText()
    {
        var entry = Assert.Single(TraceLineParser.ParseAll("INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] Grüße aus Köln ✓\n"));
        Assert.False(entry.IsMalformed);
        Assert.Equal("Grüße aus Köln ✓", entry.Message);
    }

    [Fact]
    public void CrLfLineEnds_AreAccepted()
    {
        var entry = Assert.Single(TraceLineParser.ParseAll(Header.Replace("\n", "\r\n")));
        Assert.Equal("run circuit \"Orders API\"", entry.Message);
        Assert.Equal(Header.Length + 1, entry.Length);
    }

    [Fact]
    public void PartialLastLine_IsHeldBackUntilCompleted()
    {
        var parser = new TraceLineParser();
        var completed = new List<TraceEntry>();
        var half = Header[..30];

        parser.Feed(Encoding.UTF8.GetBytes(Header + half), completed);

        Assert.Empty(completed); // the first entry may still get continuation lines
        Assert.True(parser.HasPartialLine);
        Assert.Equal(0, parser.CommittedOffset);
        Assert.Equal(Header.Length + 30, parser.Position);

        parser.Complete(completed);
        Assert.Equal(2, completed.Count);
        Assert.Equal(TraceLevel.Info, completed[0].Level);
        Assert.True(completed[1].IsMalformed); // the header is cut before its [thread:correlation]
        Assert.Contains("partial last line", completed[1].Note);
    }

    [Fact]
    public void ByteAtATime_GivesTheSameEntriesAsOneChunk()
    {
        var text = Header + "second line\n" + "ERROR   23/Nov/2026:19:30:00.001 [0a1b:000000000000000000000000] Grüße\n" + "INFO    broken\n" + Header;
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = TraceLineParser.ParseAll(bytes);

        var parser = new TraceLineParser();
        var pieces = new List<TraceEntry>();
        foreach (var b in bytes)
            parser.Feed([b], pieces);
        parser.Complete(pieces);

        Assert.Equal(whole, pieces);
        Assert.Equal(4, whole.Count);
    }

    [Fact]
    public void StartingAtAnOffset_ReportsFileOffsets()
    {
        var parser = new TraceLineParser(startOffset: 1000);
        var completed = new List<TraceEntry>();
        parser.Feed(Encoding.UTF8.GetBytes(Header + Header), completed);
        parser.Complete(completed);

        Assert.Equal(1000, completed[0].Offset);
        Assert.Equal(1000 + Header.Length, completed[1].Offset);
        Assert.Equal(1000 + 2 * Header.Length, parser.Position);
    }

    [Fact]
    public void OverlongLine_IsCutNotHeldWhole()
    {
        var longMessage = new string('x', TraceLineParser.MaxLineBytes * 3);
        var text = Header.TrimEnd('\n') + longMessage + "\n" + Header;

        var entries = TraceLineParser.ParseAll(text);

        Assert.Equal(2, entries.Count);
        Assert.Contains("cut", entries[0].Note);
        Assert.True(entries[0].Message.Length < TraceLineParser.MaxLineBytes);
        Assert.Equal(Encoding.UTF8.GetByteCount(text) - Header.Length, entries[0].Length);
        Assert.Equal("run circuit \"Orders API\"", entries[1].Message);
    }

    [Fact]
    public void EndlessContinuation_IsCutAtTheLimit()
    {
        var sb = new StringBuilder(Header);
        for (var i = 0; i < TraceLineParser.MaxContinuationLines + 50; i++)
            sb.Append("more\n");

        var entry = Assert.Single(TraceLineParser.ParseAll(sb.ToString()));

        Assert.Equal(TraceLineParser.MaxContinuationLines + 1, entry.Message.Split('\n').Length);
        Assert.Contains("cut", entry.Note);
        Assert.Equal(Encoding.UTF8.GetByteCount(sb.ToString()), entry.Length);
    }
}
