namespace ApimConsole.Core.Logs;

/// <summary>
/// How common each byte is in gateway trace text, ASCII case folded: a static estimate (not measured per file) that
/// <see cref="AsciiIgnoreCasePattern"/> uses to anchor its search on the pattern's rarest bytes. A trace line is a
/// level, a timestamp (<c>23/Nov/2026:08:00:00.000</c>: zeros, ones, twos, colons), a bracketed thread and correlation
/// id (28 hex digits of ~120 bytes), then a mostly English message with paths and numbers. So hex digits are frequent
/// everywhere, low digits more than high ones, English letters by their usual frequency, and control bytes and
/// non-ASCII rare.
/// </summary>
public static class TraceByteFrequency
{
    /// <summary>Estimated occurrences per 1,000 bytes of trace text, indexed by byte (upper case letters folded in).</summary>
    private static readonly double[] PerMille = Build();

    /// <summary>The estimated occurrences of <paramref name="b"/> (either case of an ASCII letter) per 1,000 bytes.</summary>
    public static double Of(byte b) => PerMille[b];

    private static double[] Build()
    {
        var table = new double[256];
        // Bytes not listed below: rare punctuation, control bytes, UTF-8 sequences.
        Array.Fill(table, 0.5);
        table[' '] = 150;
        table['\n'] = 8;
        // Digits outside ids: timestamps and the numbers in messages (low digits lead, as in dates and Benford's law).
        ReadOnlySpan<double> digits = [45, 35, 35, 20, 15, 15, 12, 10, 10, 8];
        for (var d = 0; d < 10; d++)
            table['0' + d] = digits[d];
        // Letters in messages: English letter frequencies (per cent) at about a third of the bytes.
        ReadOnlySpan<double> english =
        [
            8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.8, 4.0, 2.4,
            6.7, 7.5, 1.9, 0.1, 6.0, 6.3, 9.1, 2.8, 1.0, 2.4, 0.15, 2.0, 0.07,
        ];
        for (var l = 0; l < 26; l++)
        {
            table['a' + l] = english[l] * 3;
            table['A' + l] = table['a' + l];
        }
        // Correlation and thread ids: 28 hex digits a line, spread evenly over the 16.
        foreach (var hex in "0123456789abcdefABCDEF")
            table[hex] += 12;
        foreach (var (punctuation, perMille) in new[] { (':', 30.0), ('/', 20), ('.', 20), ('[', 8), (']', 8), ('-', 8), ('_', 4), ('=', 4), (',', 4), ('"', 3), ('\'', 3), ('(', 2), (')', 2) })
            table[punctuation] = perMille;
        return table;
    }
}
