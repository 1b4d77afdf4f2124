using System.Text;
using ApimConsole.Core.Logs;

namespace ApimConsole.Core.Tests.Logs;

public sealed class AsciiIgnoreCasePatternTests
{
    /// <summary>The plain loop the vectorized search must agree with.</summary>
    private static int Reference(byte[] haystack, byte[] pattern)
    {
        for (var i = 0; i + pattern.Length <= haystack.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(haystack.AsSpan(i, pattern.Length), pattern))
                return i;
        }
        return -1;
    }

    [Theory]
    [InlineData("697f605fdb408a78c01cc73e")]
    [InlineData("Transaction Complete")]
    [InlineData("a")]
    [InlineData("42")]
    [InlineData("x-correlationid: id-")]
    [InlineData("[4f2a:")]
    [InlineData("q")]
    [InlineData("9")]
    [InlineData("bbbb")]
    [InlineData("xt")]
    [InlineData("GET /orders/v1/q")]
    public void AgreesWithAPlainLoop_OnRandomText_AtEveryLengthAndPlace(string text)
    {
        var random = new Random(text.Length);
        var pattern = Encoding.ASCII.GetBytes(text);
        const string Alphabet = "0123456789abcdefABCDEF -:/[]{}xXtTrRaAnNsScCiIoOmMpPlLeEqQvV\n";
        for (var round = 0; round < 600; round++)
        {
            // Up to several 64-byte blocks of the vector loop, and the byte-by-byte tail after them.
            var haystack = new byte[random.Next(0, 300)];
            for (var i = 0; i < haystack.Length; i++)
                haystack[i] = (byte)Alphabet[random.Next(Alphabet.Length)];
            if (haystack.Length >= pattern.Length && random.Next(2) == 0)
            {
                // Plant it, in a random mix of cases, anywhere (the vector loop's tail included).
                var at = random.Next(haystack.Length - pattern.Length + 1);
                for (var i = 0; i < pattern.Length; i++)
                    haystack[at + i] = (byte)(random.Next(2) == 0 ? char.ToUpperInvariant((char)pattern[i]) : char.ToLowerInvariant((char)pattern[i]));
            }

            Assert.Equal(Reference(haystack, pattern), new AsciiIgnoreCasePattern(text).IndexOf(haystack));
        }
    }

    [Theory]
    [InlineData("Müller", "user=MÜLLER no; user=MüLLER yes", 21)]
    [InlineData("€ 12", "total: € 12,00", 7)]
    [InlineData("Straße", "an der STRASSE; in der STRAßE", 23)]
    public void APatternWithUtf8Text_IsFound_AsciiLettersInEitherCase_OtherBytesExactly(string text, string line, int expectedChar)
    {
        // Only ASCII letters fold: "MÜLLER" is not "Müller" (Ü is not ü byte for byte), "MüLLER" is.
        var haystack = Encoding.UTF8.GetBytes(line + new string('.', 150));
        var expected = Encoding.UTF8.GetByteCount(line.AsSpan(0, expectedChar));
        Assert.Equal(expected, new AsciiIgnoreCasePattern(text).IndexOf(haystack));
        Assert.Equal(-1, new AsciiIgnoreCasePattern(text).IndexOf(Encoding.UTF8.GetBytes(line[..(expectedChar - 1)] + new string('.', 150))));
    }

    [Theory]
    [InlineData("3e17ba96ae04cd3b99869e56")]
    [InlineData("Xy")]
    [InlineData("[4f2a:")]
    [InlineData("GET /orders/v1/q")]
    [InlineData("x-correlationid: id-")]
    public void FindsAMatch_StartingAtEveryOffset_AcrossTheVectorBlocks(string text)
    {
        var pattern = new AsciiIgnoreCasePattern(text);
        var planted = Encoding.ASCII.GetBytes(text.ToUpperInvariant());
        for (var at = 0; at + planted.Length <= 200; at++)
        {
            // Filler full of the rarest byte (never the whole pattern): the match is the planted one.
            var haystack = new byte[200];
            for (var i = 0; i < haystack.Length; i++)
                haystack[i] = (byte)(i % 3 == 0 ? text[pattern.FirstAnchor] : ' ');
            planted.CopyTo(haystack, at);

            Assert.Equal(at, pattern.IndexOf(haystack));
        }
    }

    [Theory]
    // A correlation id is all hex digits: the anchors are its rarest ones in trace text, not its first and last.
    [InlineData("3e17ba96ae04cd3b99869e56", 'b', '9')]
    // The rarest byte at the end, then at the start.
    [InlineData("GET /orders/v1/q", 'q', 'v')]
    [InlineData("x-correlationid: id-", 'x', '-')]
    // Bytes that are not letters can be anchors (and are compared exactly).
    [InlineData("[4f2a:", '[', 'f')]
    [InlineData("200 (Pass)", '(', ')')]
    public void Anchors_AreThePatternsRarestBytes_TwoDifferentOnes(string text, char first, char second)
    {
        var pattern = new AsciiIgnoreCasePattern(text);

        Assert.Equal(first, char.ToLowerInvariant(text[pattern.FirstAnchor]));
        Assert.Equal(second, char.ToLowerInvariant(text[pattern.SecondAnchor]));
        Assert.True(TraceByteFrequency.Of((byte)first) <= TraceByteFrequency.Of((byte)second));
    }

    [Fact]
    public void Anchors_OfAOneByteOrOneValuePattern()
    {
        var one = new AsciiIgnoreCasePattern("a");
        var same = new AsciiIgnoreCasePattern("bbbb");

        Assert.Equal((0, 0), (one.FirstAnchor, one.SecondAnchor));
        Assert.Equal(3, one.IndexOf("xyzA"u8));
        Assert.Equal(-1, one.IndexOf(""u8));
        // Nothing different to pair with: the same byte at another offset.
        Assert.NotEqual(same.FirstAnchor, same.SecondAnchor);
        Assert.Equal(4, same.IndexOf("bbb bBbBb"u8));
    }

    [Fact]
    public void Frequency_FoldsCase_AndRanksIdsAndTimestampsCommon()
    {
        Assert.Equal(TraceByteFrequency.Of((byte)'b'), TraceByteFrequency.Of((byte)'B'));
        Assert.True(TraceByteFrequency.Of((byte)'0') > TraceByteFrequency.Of((byte)'9'));
        Assert.True(TraceByteFrequency.Of((byte)'b') > TraceByteFrequency.Of((byte)'q'), "a hex letter is in every id");
        Assert.True(TraceByteFrequency.Of((byte)' ') > TraceByteFrequency.Of((byte)'e'));
        Assert.True(TraceByteFrequency.Of(0xC3) < TraceByteFrequency.Of((byte)'k'));
    }

    [Fact]
    public void OnlyAsciiLettersFold()
    {
        var pattern = new AsciiIgnoreCasePattern("[a]");

        Assert.Equal(3, pattern.IndexOf("{A}[A]"u8));
        // '{' is '[' with the 0x20 bit set: not a case.
        Assert.Equal(-1, pattern.IndexOf("{a}"u8));
        Assert.Throws<ArgumentException>(() => new AsciiIgnoreCasePattern(""));
    }
}

public sealed class TraceEntryBoundaryTests
{
    [Theory]
    [InlineData("INFO    23/Nov/2026:19:30:00.000 [4f2a:697f605fdb408a78c01cc73e] started", true)]
    [InlineData("    INFO 23/Nov/2026:19:30:00.000 [4f2a:697f605fdb408a78c01cc73e] right-aligned", true)]
    [InlineData("ERROR   not a timestamp", true)] // malformed header: an entry of its own, as the parser makes it
    [InlineData("    at Vordel.Circuit.Run()", false)]
    [InlineData("    INFO is a word in this continuation", false)]
    [InlineData("", false)]
    [InlineData("Host: api.example", false)]
    public void StartsEntry_AsTheParserSplits(string line, bool starts)
    {
        Assert.Equal(starts, TraceEntryBoundary.StartsEntry(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void BinaryLines_StartEntries()
    {
        Assert.True(TraceEntryBoundary.StartsEntry([0x41, 0x00, 0x42]));
        Assert.True(TraceEntryBoundary.StartsEntry([0xC3, 0x28]));
    }

    [Fact]
    public void EntryAroundAPosition_IsTheHeaderAndItsContinuations()
    {
        var text = "INFO    23/Nov/2026:19:30:00.000 [4f2a:697f605fdb408a78c01cc73e] one\n" +
                   "DEBUG   23/Nov/2026:19:30:00.000 [4f2a:697f605fdb408a78c01cc73e] two\n" +
                   "    Host: api.example\n" +
                   "    X-Target: here\n" +
                   "INFO    23/Nov/2026:19:30:01.000 [4f2a:697f605fdb408a78c01cc73e] three\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var hit = text.IndexOf("here", StringComparison.Ordinal);

        var start = TraceEntryBoundary.EntryStart(bytes, hit, 0);
        var end = TraceEntryBoundary.EntryEnd(bytes, hit);

        Assert.Equal(text.IndexOf("DEBUG", StringComparison.Ordinal), start);
        Assert.Equal(text.IndexOf("INFO    23/Nov/2026:19:30:01", StringComparison.Ordinal), end);
        Assert.Equal(end, TraceEntryBoundary.LastEntryStart(bytes, 0));
        Assert.Equal(start, TraceEntryBoundary.FirstEntryStart(bytes, text.IndexOf('\n') + 1));
    }
}
