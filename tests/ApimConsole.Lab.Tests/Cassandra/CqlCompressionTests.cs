using System.Buffers.Binary;
using System.Text;
using ApimConsole.Lab.Cassandra;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// The lab's own LZ4 block and raw Snappy codecs (frame compression of native protocol v4, section 5): round trips of
/// many sizes and shapes, vectors built by hand from the format descriptions, streams made by the real libraries
/// (python3-lz4, python3-snappy, which the python driver uses) decoded and ours decoded by them, and malformed or
/// lying input refused with <see cref="CqlCompressionException"/> without allocating what it claims.
/// </summary>
public sealed class CqlCompressionTests
{
    private const int Limit = 1 << 20;
    private const string InstallHint = "python3-lz4 and python3-snappy are needed: apt-get install -y python3-lz4 python3-snappy";

    public static TheoryData<string> Codecs => new() { "lz4", "snappy" };

    private static readonly int[] Sizes =
        [0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 14, 15, 16, 17, 19, 20, 31, 59, 60, 61, 63, 64, 65, 66, 67, 68, 75, 255, 256, 269, 270,
         271, 1000, 2047, 2048, 4095, 4096, 4097, 65535, 65536, 65537, 70000, 200_000];

    /// <summary>Random bytes (incompressible), a short repeated pattern, text-like data with repeats at all distances, one byte repeated.</summary>
    private static IEnumerable<(string Shape, byte[] Data)> Inputs(int size, int seed)
    {
        var random = new Random(seed);
        var noise = new byte[size];
        random.NextBytes(noise);
        yield return ("random", noise);

        var pattern = new byte[size];
        for (var i = 0; i < size; i++)
            pattern[i] = (byte)"abc"[i % 3];
        yield return ("pattern", pattern);

        var words = new[] { "system.local", "data_center", "rack1", "DC1", "127.0.1.1", "peer", "host_id", " ", "\0\0\0\x04", "org.apache.cassandra" };
        var text = new StringBuilder();
        while (text.Length < size)
            text.Append(words[random.Next(words.Length)]);
        yield return ("text", Encoding.Latin1.GetBytes(text.ToString(0, size)));

        yield return ("zeros", new byte[size]);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void RoundTrip_ManySizesAndShapes(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        foreach (var size in Sizes)
        {
            foreach (var (shape, data) in Inputs(size, seed: size))
            {
                var compressed = codec.Compress(data);
                var back = codec.Decompress(compressed, Limit);
                Assert.True(data.AsSpan().SequenceEqual(back), $"{name} round trip of {size} {shape} bytes differs");
                if (shape is "pattern" or "zeros" && size >= 1000)
                    Assert.True(compressed.Length < size / 10, $"{name}: {size} {shape} bytes compressed only to {compressed.Length}: the matcher does not find repeats");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void RoundTrip_RandomMixtures(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        var random = new Random(42);
        for (var round = 0; round < 300; round++)
        {
            // Runs of noise and copies of earlier runs, at random distances: every kind of sequence and offset.
            var data = new List<byte>();
            var target = random.Next(0, 20_000);
            while (data.Count < target)
            {
                if (data.Count > 0 && random.Next(2) == 0)
                {
                    var from = random.Next(data.Count);
                    var length = random.Next(1, 300);
                    for (var i = 0; i < length; i++)
                        data.Add(data[from + i]);
                }
                else
                {
                    var run = new byte[random.Next(1, 100)];
                    random.NextBytes(run);
                    data.AddRange(run);
                }
            }
            var input = data.ToArray();
            Assert.True(input.AsSpan().SequenceEqual(codec.Decompress(codec.Compress(input), Limit)), $"{name} round {round} ({input.Length} bytes) differs");
        }
    }

    [Fact]
    public void Lz4_Compress_WritesTheBigEndianLengthThenABlock_AndKeepsTheEndRules()
    {
        foreach (var size in Sizes)
        {
            foreach (var (shape, data) in Inputs(size, seed: size + 2))
            {
                var compressed = CqlFrameCompressor.Lz4.Compress(data);
                Assert.Equal(size, BinaryPrimitives.ReadInt32BigEndian(compressed));
                // Walk the sequences: no match starts in the last 12 bytes or reaches into the last 5, and the
                // last sequence is literals only (LZ4 block format, "end of block conditions").
                var block = compressed.AsSpan(4);
                int ip = 0, op = 0, lastLiterals = 0;
                while (true)
                {
                    var token = block[ip++];
                    var literals = token >> 4;
                    if (literals == 15)
                        do { literals += block[ip]; } while (block[ip++] == 255);
                    ip += literals;
                    op += literals;
                    lastLiterals = literals;
                    if (ip == block.Length)
                        break;
                    ip += 2;
                    var match = (token & 15) + 4;
                    if ((token & 15) == 15)
                        do { match += block[ip]; } while (block[ip++] == 255);
                    Assert.True(op <= size - 12, $"{size} {shape}: a match starts at {op}, within the last 12 bytes");
                    Assert.True(op + match <= size - 5, $"{size} {shape}: a match ends at {op + match}, within the last 5 bytes");
                    op += match;
                }
                Assert.Equal(size, op);
                if (size >= 5)
                    Assert.True(lastLiterals >= 5, $"{size} {shape}: the last sequence has {lastLiterals} literals");
            }
        }
    }

    // ---- LZ4 vectors, built by hand from the block format ----

    public static TheoryData<string, string, string> Lz4Vectors => new()
    {
        // empty: one token, no literals
        { "empty", "00000000" + "00", "" },
        // 5 literals
        { "literals", "00000005" + "50" + "68656c6c6f", "hello" },
        // "ab", then a match at offset 2 of 4+6 bytes (overlapping), then 5 literals
        { "overlapping match", "00000011" + "26" + "6162" + "0200" + "50" + "68656c6c6f", "abababababab" + "hello" },
        // 1 literal, then offset 1, match length 4+15+255+10 (two extra length bytes), then 5 literals
        { "long match", "00000122" + "1f" + "61" + "0100" + "ff0a" + "50" + "7a7a7a7a7a", new string('a', 285) + "zzzzz" },
        // 16 literals: nibble 15 then one extra byte of 1
        { "long literal", "00000010" + "f001" + "30313233343536373839616263646566", "0123456789abcdef" },
        // copy of a non-overlapping earlier run: "abcdefgh" then offset 8, length 8, then 5 literals
        { "plain match", "00000015" + "84" + "6162636465666768" + "0800" + "50" + "3132333435", "abcdefghabcdefgh12345" },
    };

    [Theory]
    [MemberData(nameof(Lz4Vectors))]
    public void Lz4_DecodesHandMadeVectors(string what, string hex, string expected)
    {
        var decoded = CqlFrameCompressor.Lz4.Decompress(Convert.FromHexString(hex), Limit);
        Assert.True(Encoding.ASCII.GetBytes(expected).AsSpan().SequenceEqual(decoded), what);
    }

    public static TheoryData<string, string> Lz4Malformed => new()
    {
        { "shorter than its length", "000000" },
        { "negative length", "ffffffff" + "00" },
        { "2 GB claimed", "7fffffff" + "00" },
        { "no block", "00000000" },
        { "literals past the input", "00000005" + "50" + "6869" },
        { "literals past the declared length", "00000002" + "50" + "68656c6c6f" },
        { "offset zero", "0000000a" + "26" + "6162" + "0000" + "00" },
        { "offset before the start", "0000000c" + "26" + "6162" + "0300" + "00" },
        { "match past the declared length", "00000005" + "26" + "6162" + "0200" + "00" },
        { "truncated offset", "0000000a" + "26" + "6162" + "02" },
        { "truncated length bytes", "00000200" + "f0" + "ffff" },
        { "decodes shorter than declared", "00000009" + "50" + "68656c6c6f" },
        { "match with no last sequence", "0000000c" + "26" + "6162" + "0200" },
    };

    [Theory]
    [MemberData(nameof(Lz4Malformed))]
    public void Lz4_RefusesMalformedInput(string what, string hex)
    {
        var error = Record.Exception(() => CqlFrameCompressor.Lz4.Decompress(Convert.FromHexString(hex), Limit));
        Assert.True(error is CqlCompressionException, $"{what}: {error?.GetType().Name ?? "accepted"}");
    }

    // ---- Snappy vectors, built by hand from the raw format ----

    public static TheoryData<string, string, string> SnappyVectors => new()
    {
        { "empty", "00", "" },
        // varint 5, literal of 5 (tag (5-1)<<2)
        { "literal", "05" + "10" + "68656c6c6f", "hello" },
        // literal "ab", copy with 1-byte offset: length 10 (tag 01 | (10-4)<<2), offset 2
        { "copy1 overlapping", "0c" + "04" + "6162" + "19" + "02", "abababababab" },
        // literal "abc", copy with 2-byte offset: length 6 (tag 10 | (6-1)<<2), offset 3
        { "copy2", "09" + "08" + "616263" + "16" + "0300", "abcabcabc" },
        // literal "xy", copy with 4-byte offset: length 4 (tag 11 | (4-1)<<2), offset 2
        { "copy4", "06" + "04" + "7879" + "0f" + "02000000", "xyxyxy" },
        // copy1 with an offset over 255: the high 3 bits of the offset are in the tag: literal 300 bytes then copy 4 at offset 300
        { "copy1 high offset bits", "b002" + "f42b01" + string.Concat(Enumerable.Repeat("61", 299)) + "62" + "212c", new string('a', 299) + "b" + "aaaa" },
        // a 100-byte literal: tag 60<<2 then length-1 in one byte; varint 100 = 0x64
        { "literal with 1 length byte", "64" + "f063" + string.Concat(Enumerable.Repeat("7a", 100)), new string('z', 100) },
        // a 300-byte literal: tag 61<<2 then length-1 (299 = 0x012b) in two bytes; varint 300 = ac 02
        { "literal with 2 length bytes", "ac02" + "f42b01" + string.Concat(Enumerable.Repeat("79", 300)), new string('y', 300) },
    };

    [Theory]
    [MemberData(nameof(SnappyVectors))]
    public void Snappy_DecodesHandMadeVectors(string what, string hex, string expected)
    {
        var decoded = CqlFrameCompressor.Snappy.Decompress(Convert.FromHexString(hex), Limit);
        Assert.True(Encoding.ASCII.GetBytes(expected).AsSpan().SequenceEqual(decoded), $"{what}: got {decoded.Length} bytes");
    }

    public static TheoryData<string, string> SnappyMalformed => new()
    {
        { "no preamble", "" },
        { "preamble never ends", "ffffffffffff" },
        { "4 GB claimed", "ffffffff0f" + "00" },
        { "2 MB claimed, over the limit", "808080" + "01" },
        { "literal past the input", "05" + "10" + "6869" },
        { "literal past the declared length", "02" + "10" + "68656c6c6f" },
        { "huge literal length bytes", "05" + "fc" + "ffffffff" },
        { "copy offset zero", "0a" + "04" + "6162" + "19" + "00" },
        { "copy before the start", "0a" + "04" + "6162" + "19" + "05" },
        { "copy past the declared length", "04" + "04" + "6162" + "19" + "02" },
        { "copy4 offset over int range", "0a" + "04" + "6162" + "0f" + "ffffffff" },
        { "truncated copy2", "0a" + "04" + "6162" + "16" + "03" },
        { "decodes shorter than declared", "09" + "10" + "68656c6c6f" },
    };

    [Theory]
    [MemberData(nameof(SnappyMalformed))]
    public void Snappy_RefusesMalformedInput(string what, string hex)
    {
        var error = Record.Exception(() => CqlFrameCompressor.Snappy.Decompress(Convert.FromHexString(hex), Limit));
        Assert.True(error is CqlCompressionException, $"{what}: {error?.GetType().Name ?? "accepted"}");
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void LyingLengths_AreRefusedBeforeAllocating(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        var lies = name == "lz4"
            ? new[] { Convert.FromHexString("7fffffff" + "00"), Convert.FromHexString("000fffff" + "f0" + "ffffffffff") }
            : new[] { Convert.FromHexString("ffffffff07" + "00"), Convert.FromHexString("ffff3f" + "fc" + "ffffff7f") };
        foreach (var lie in lies)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<CqlCompressionException>(() => codec.Decompress(lie, maxLength: 64 * 1024));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 256 * 1024, $"{name}: {allocated} bytes allocated for a {lie.Length}-byte lie");
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void ClaimsUnderTheLimit_ButBeyondWhatTheBytesCanHold_AreRefusedBeforeAllocating(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        // 512 KB claimed (under the 1 MB limit) by a body of a few bytes.
        var lie = name == "lz4" ? Convert.FromHexString("00080000" + "00") : Convert.FromHexString("808020" + "00");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<CqlCompressionException>(() => codec.Decompress(lie, Limit));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, $"{name}: allocated for a claim its bytes cannot hold");
        Assert.Contains("can hold", error.Message);

        // The densest real streams stay accepted: one byte repeated, at the limit.
        var ones = new byte[Limit];
        Array.Fill(ones, (byte)1);
        Assert.Equal(Limit, codec.Decompress(codec.Compress(ones), Limit).Length);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void RandomGarbage_IsRefusedOrDecoded_NeverAnotherException(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        var random = new Random(7);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 5000; round++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            var error = Record.Exception(() => codec.Decompress(garbage, Limit));
            Assert.True(error is null or CqlCompressionException, $"{name}: {Convert.ToHexString(garbage)} threw {error}");
            // Also a valid stream cut short or with one byte flipped.
            var valid = codec.Compress(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("peer host_id rack ", 1 + round % 20))));
            var cut = valid.AsSpan(0, random.Next(valid.Length)).ToArray();
            error = Record.Exception(() => codec.Decompress(cut, Limit));
            Assert.True(error is null or CqlCompressionException, $"{name}: cut stream threw {error}");
            valid[random.Next(valid.Length)] ^= (byte)(1 << random.Next(8));
            error = Record.Exception(() => codec.Decompress(valid, Limit));
            Assert.True(error is null or CqlCompressionException, $"{name}: flipped stream threw {error}");
        }
        // 5000 rounds of small inputs: a lying length that got allocated would show here (the limit is 1 MB each).
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 512L * 1024 * 1024, "garbage made the decoders allocate too much");
    }

    /// <summary>
    /// The real libraries the python driver compresses with: what they make, the lab decodes; what the lab makes,
    /// they decode. Sizes and shapes as in the round trips.
    /// </summary>
    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task InteroperatesWithTheLibrariesThePythonDriverUses(string name)
    {
        var codec = CqlFrameCompressor.ForName(name)!;
        var folder = Directory.CreateTempSubdirectory("lab-cql-codec-").FullName;
        try
        {
            var cases = new List<(string File, byte[] Data)>();
            foreach (var size in Sizes.Where(s => s <= 70000))
            {
                foreach (var (shape, data) in Inputs(size, seed: size + 1))
                {
                    var file = Path.Combine(folder, $"{size}-{shape}");
                    await File.WriteAllBytesAsync(file + ".raw", data);
                    await File.WriteAllBytesAsync(file + ".lab", codec.Compress(data));
                    cases.Add((file, data));
                }
            }
            // The driver's own wrappers: lz4 with the length rewritten big-endian (cassandra/connection.py), raw snappy.
            var script = """
                import sys, glob
                try:
                    import lz4.block as lz4_block
                    import snappy
                except ImportError as e:
                    print("MISSING-MODULE: %s" % e); sys.exit(3)
                name, folder = sys.argv[1], sys.argv[2]
                for raw in sorted(glob.glob(folder + "/*.raw")):
                    base = raw[:-4]
                    data = open(raw, "rb").read()
                    lab = open(base + ".lab", "rb").read()
                    if name == "lz4":
                        theirs = len(data).to_bytes(4, "big") + lz4_block.compress(data)[4:]
                        ours = lz4_block.decompress(lab[3::-1] + lab[4:]) if len(lab) > 5 or len(data) else b""
                    else:
                        theirs = snappy.compress(data)
                        ours = snappy.decompress(lab)
                    if ours != data:
                        print("LIBRARY-DECODED-DIFFERENTLY: " + base); sys.exit(1)
                    open(base + ".lib", "wb").write(theirs)
                print("ok")
                """;
            var scriptFile = Path.Combine(folder, "interop.py");
            await File.WriteAllTextAsync(scriptFile, script);
            var (exitCode, output) = await RunPythonAsync(scriptFile, name, folder);
            if (exitCode == 3)
                Assert.Fail($"{InstallHint}\n{output}");
            Assert.True(exitCode == 0, $"the {name} library could not decode the lab's output:\n{output}");
            foreach (var (file, data) in cases)
            {
                var decoded = codec.Decompress(await File.ReadAllBytesAsync(file + ".lib"), Limit);
                Assert.True(data.AsSpan().SequenceEqual(decoded), $"the lab decoded the {name} library's {Path.GetFileName(file)} differently");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Task<(int ExitCode, string Output)> RunPythonAsync(string script, params string[] args) =>
        DebianPython.RunAsync(InstallHint, log: null, script, args);
}
