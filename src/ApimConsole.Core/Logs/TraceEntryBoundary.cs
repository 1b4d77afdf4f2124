using System.Text;

namespace ApimConsole.Core.Logs;

/// <summary>
/// Where entries of a trace file begin, judged on raw bytes the way <see cref="TraceLineParser"/> splits them: a
/// header line, a line that starts like a header but breaks the format, and a line that is not text each start an
/// entry of their own; any other line continues the entry before it. A search uses it to cut out just the entries
/// around a hit and parse those alone.
/// </summary>
public static class TraceEntryBoundary
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether the line (without its line end) starts an entry.</summary>
    public static bool StartsEntry(ReadOnlySpan<byte> line)
    {
        if (line.Length > TraceLineParser.MaxLineBytes)
            line = line[..TraceLineParser.MaxLineBytes];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
            line = line[..^1];
        if (line.IsEmpty)
            return false;
        // A header starts with a level word, or with a space when the level is right-aligned. Anything else is a
        // continuation unless it is not text; only that needs the decode below.
        var first = line[0];
        var maybeHeader = first is (byte)'F' or (byte)'E' or (byte)'I' or (byte)'D' or (byte)' ';
        if (!maybeHeader && line.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0)
            return false;
        string text;
        try
        {
            text = StrictUtf8.GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return true;
        }
        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\t')
                return true;
        }
        if (!maybeHeader)
            return false;
        return TraceLineParser.TryParseHeader(text, out _, out _, out _, out _, out _, out var problem) || problem is not null;
    }

    /// <summary>
    /// The start of the entry holding <paramref name="position"/>: back line by line to the nearest line that starts an
    /// entry, never before <paramref name="floor"/> (which the caller knows to be an entry start or the file's start).
    /// </summary>
    public static int EntryStart(ReadOnlySpan<byte> bytes, int position, int floor)
    {
        var lineStart = LineStart(bytes, position, floor);
        while (lineStart > floor)
        {
            if (StartsEntry(LineAt(bytes, lineStart)))
                return lineStart;
            lineStart = LineStart(bytes, lineStart - 1, floor);
        }
        return floor;
    }

    /// <summary>
    /// The end of the entry holding <paramref name="position"/>: the start of the next line that starts an entry, or
    /// the end of <paramref name="bytes"/>.
    /// </summary>
    public static int EntryEnd(ReadOnlySpan<byte> bytes, int position)
    {
        var newline = bytes[position..].IndexOf((byte)'\n');
        if (newline < 0)
            return bytes.Length;
        var next = position + newline + 1;
        while (next < bytes.Length)
        {
            if (StartsEntry(LineAt(bytes, next)))
                return next;
            newline = bytes[next..].IndexOf((byte)'\n');
            if (newline < 0)
                return bytes.Length;
            next += newline + 1;
        }
        return bytes.Length;
    }

    /// <summary>
    /// The start of the last whole line (one with its line end) of <paramref name="bytes"/> that starts an entry, at or
    /// after <paramref name="floor"/>; -1 when there is none. Everything before it is made of complete entries.
    /// </summary>
    public static int LastEntryStart(ReadOnlySpan<byte> bytes, int floor)
    {
        var lastNewline = bytes.LastIndexOf((byte)'\n');
        if (lastNewline < floor)
            return -1;
        var lineStart = LineStart(bytes, lastNewline, floor);
        while (true)
        {
            if (StartsEntry(LineAt(bytes, lineStart)))
                return lineStart;
            if (lineStart <= floor)
                return -1;
            lineStart = LineStart(bytes, lineStart - 1, floor);
        }
    }

    /// <summary>
    /// The start of the first line at or after <paramref name="from"/> (itself a line start) that starts an entry and
    /// is whole; -1 when there is none.
    /// </summary>
    public static int FirstEntryStart(ReadOnlySpan<byte> bytes, int from)
    {
        var next = from;
        while (next < bytes.Length)
        {
            var newline = bytes[next..].IndexOf((byte)'\n');
            if (newline < 0)
                return -1;
            if (StartsEntry(bytes.Slice(next, newline)))
                return next;
            next += newline + 1;
        }
        return -1;
    }

    private static int LineStart(ReadOnlySpan<byte> bytes, int position, int floor)
    {
        if (position <= floor)
            return floor;
        var newline = bytes[floor..position].LastIndexOf((byte)'\n');
        return newline < 0 ? floor : floor + newline + 1;
    }

    private static ReadOnlySpan<byte> LineAt(ReadOnlySpan<byte> bytes, int lineStart)
    {
        var rest = bytes[lineStart..];
        var newline = rest.IndexOf((byte)'\n');
        return newline < 0 ? rest : rest[..newline];
    }
}
