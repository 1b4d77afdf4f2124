using System.Text;

namespace ApimConsole.Core.Logs;

/// <summary>
/// Reads a 7.7 gateway trace file incrementally: feed it the file's bytes in chunks of any size, from any offset, and
/// it returns the entries completed so far. A line looks like
/// <c>INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] message</c>: the level left-aligned in 8
/// columns, the gateway's local time without zone, <c>[thread:correlation]</c>, the message. The forms the product
/// documentation also shows are entries too: <c>[thread]</c> without a correlation id (the trace format the docs
/// describe: "TraceLevel Timestamp [thread-id] TraceMessage"), and a timestamp without milliseconds and no bracket
/// (start-up lines); such entries have no correlation id.
/// </summary>
/// <remarks>
/// A line that is not a header continues the previous entry's message (stack traces, dumped headers). An entry is
/// complete only when the next header arrives or <see cref="Complete"/> is called, because more continuation lines may
/// follow. Bad input never throws: a line that starts like a header but breaks the format, or that is not text, becomes
/// an entry flagged malformed with its raw text and a note. Memory is bounded: a line is cut at
/// <see cref="MaxLineBytes"/> and a message at <see cref="MaxContinuationLines"/> lines.
/// </remarks>
public sealed class TraceLineParser
{
    public const int MaxLineBytes = 64 * 1024;
    public const int MaxContinuationLines = 1000;
    public const string NoCorrelation = "000000000000000000000000";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private readonly List<byte> _line = new(256);
    private long _lineStart;
    private long _position;
    private bool _lineCut;

    private TraceEntry? _pending;
    private StringBuilder? _pendingMessage;
    private int _pendingContinuations;
    private bool _pendingCut;

    /// <param name="startOffset">Where in the file the first fed byte sits.</param>
    public TraceLineParser(long startOffset = 0)
    {
        _position = startOffset;
        _lineStart = startOffset;
    }

    /// <summary>Bytes of the file seen so far, as an offset: where the next chunk must start.</summary>
    public long Position => _position;

    /// <summary>
    /// Where a fresh parser would have to start to rebuild what this one still holds (the pending entry and the
    /// partial last line): everything before it has been returned.
    /// </summary>
    public long CommittedOffset => _pending?.Offset ?? _lineStart;

    /// <summary>Whether a partial line (no line end yet) is held back.</summary>
    public bool HasPartialLine => _line.Count > 0 || _lineCut;

    /// <summary>Parses one whole file's text (tests and small files).</summary>
    public static IReadOnlyList<TraceEntry> ParseAll(ReadOnlySpan<byte> bytes)
    {
        var parser = new TraceLineParser();
        var result = new List<TraceEntry>();
        parser.Feed(bytes, result);
        parser.Complete(result);
        return result;
    }

    /// <summary>Parses one whole file's text given as a string (UTF-8).</summary>
    public static IReadOnlyList<TraceEntry> ParseAll(string text) => ParseAll(Encoding.UTF8.GetBytes(text));

    /// <summary>Feeds the next bytes of the file; appends the entries they complete to <paramref name="completed"/>.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, List<TraceEntry> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        while (!bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            var take = newline < 0 ? bytes : bytes[..newline];
            var room = MaxLineBytes - _line.Count;
            if (take.Length > room)
            {
                _lineCut = true;
                take = take[..Math.Max(0, room)];
            }
            foreach (var b in take)
                _line.Add(b);
            if (newline < 0)
            {
                _position += bytes.Length;
                return;
            }
            _position += newline + 1;
            EndLine(completed, partial: false);
            bytes = bytes[(newline + 1)..];
        }
    }

    /// <summary>
    /// The end of what there is to read: returns the pending entry and a partial last line (flagged as such). Call it
    /// at the end of a file that no longer grows; a tail that may see more bytes should not.
    /// </summary>
    public void Complete(List<TraceEntry> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        if (HasPartialLine)
            EndLine(completed, partial: true);
        FlushPending(completed);
    }

    /// <summary>The entry still open for continuation lines, as it stands; null when there is none.</summary>
    public TraceEntry? Pending => _pending is null ? null : Finish(_pending, _pendingMessage, _pendingCut);

    private void EndLine(List<TraceEntry> completed, bool partial)
    {
        var start = _lineStart;
        var length = (int)(_position - _lineStart);
        var cut = _lineCut;
        var raw = _line.Count > 0 && _line[^1] == (byte)'\r' ? CollectionsMarshalSpan(_line)[..^1] : CollectionsMarshalSpan(_line);
        var (text, binary) = Decode(raw);
        _line.Clear();
        _lineCut = false;
        _lineStart = _position;

        string? note = null;
        if (cut)
            note = $"line longer than {MaxLineBytes / 1024} KiB: cut";
        if (partial)
            note = Join(note, "partial last line (no line end yet)");

        if (binary)
        {
            FlushPending(completed);
            completed.Add(new TraceEntry(start, length, TraceLevel.Unknown, null, null, null, text, IsMalformed: true,
                Join(note, "not text: invalid UTF-8 or control characters")));
            return;
        }

        var header = TryParseHeader(text, out var level, out var time, out var thread, out var correlation, out var message, out var problem);
        if (header)
        {
            FlushPending(completed);
            _pending = new TraceEntry(start, length, level, time, thread, correlation, message, Note: note);
            _pendingMessage = null;
            _pendingContinuations = 0;
            _pendingCut = false;
            return;
        }
        if (problem is not null)
        {
            // It starts like a header (a level word) but breaks the format: show it as it is rather than glue it on.
            FlushPending(completed);
            completed.Add(new TraceEntry(start, length, TraceLevel.Unknown, null, null, null, text, IsMalformed: true, Join(note, problem)));
            return;
        }
        if (_pending is null)
        {
            // A continuation with nothing to continue: the read began in the middle of a multi-line message.
            if (text.Length == 0 && !partial)
                return;
            completed.Add(new TraceEntry(start, length, TraceLevel.Unknown, null, null, null, text, IsMalformed: true,
                Join(note, "continuation line without its first line (read began inside a multi-line message)")));
            return;
        }
        _pending = _pending with { Length = (int)Math.Min(int.MaxValue, _position - _pending.Offset) };
        if (_pendingContinuations >= MaxContinuationLines)
        {
            _pendingCut = true;
            return;
        }
        _pendingMessage ??= new StringBuilder(_pending.Message);
        _pendingMessage.Append('\n').Append(text);
        _pendingContinuations++;
        if (note is not null)
            _pending = _pending with { Note = Join(_pending.Note, note) };
    }

    private void FlushPending(List<TraceEntry> completed)
    {
        if (_pending is null)
            return;
        completed.Add(Finish(_pending, _pendingMessage, _pendingCut));
        _pending = null;
        _pendingMessage = null;
        _pendingContinuations = 0;
        _pendingCut = false;
    }

    private static TraceEntry Finish(TraceEntry entry, StringBuilder? message, bool cut)
    {
        var result = message is null ? entry : entry with { Message = message.ToString() };
        return cut ? result with { Note = Join(result.Note, $"message longer than {MaxContinuationLines} lines: cut") } : result;
    }

    private static string? Join(string? a, string b) => a is null ? b : a + "; " + b;

    private static ReadOnlySpan<byte> CollectionsMarshalSpan(List<byte> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    /// <summary>Text of the line; binary when it is not valid UTF-8 or holds control characters other than tab.</summary>
    private static (string Text, bool Binary) Decode(ReadOnlySpan<byte> raw)
    {
        string text;
        var binary = false;
        try
        {
            text = StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.UTF8.GetString(raw); // replacement characters for the bad bytes
            binary = true;
        }
        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\t')
            {
                binary = true;
                break;
            }
        }
        if (binary)
        {
            // Show it, but never a terminal's control sequence or a NUL.
            var sb = new StringBuilder(text.Length);
            foreach (var c in text)
                sb.Append(char.IsControl(c) && c != '\t' ? '\uFFFD' : c);
            text = sb.ToString();
        }
        return (text, binary);
    }

    /// <summary>
    /// Parses one line as a header. False with a null <paramref name="problem"/>: not a header at all (a continuation
    /// line). False with a problem: it starts with a level but breaks the format.
    /// </summary>
    public static bool TryParseHeader(string line, out TraceLevel level, out DateTime? time, out string? thread,
        out string? correlationId, out string message, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(line);
        level = TraceLevel.Unknown;
        time = null;
        thread = null;
        correlationId = null;
        message = "";
        problem = null;

        var s = line.AsSpan();
        int i;
        var afterField = s.Length > 9 && s[8] == ' ' ? 9 : 8;
        if (s.Length > afterField && s[0] == ' ' && char.IsAsciiDigit(s[afterField]) && ParseLevel(s[..8].TrimStart(' ')) != TraceLevel.Unknown)
        {
            // The level right-aligned in its 8 columns ("    INFO"): read it too, but only in exactly that shape (a
            // timestamp right after), so an indented continuation line starting with a level word stays a continuation.
            level = ParseLevel(s[..8].TrimStart(' '));
            i = afterField;
        }
        else
        {
            var space = s.IndexOf(' ');
            if (space <= 0)
                return false;
            level = ParseLevel(s[..space]);
            if (level == TraceLevel.Unknown)
                return false;
            i = space;
            while (i < s.Length && s[i] == ' ')
                i++;
        }

        // dd/MMM/yyyy:HH:mm:ss.SSS; the docs also show the form without milliseconds (dd/MMM/yyyy:HH:mm:ss).
        var timestampLength = ReadTimestamp(s[i..], out var parsedTime);
        if (timestampLength == 0)
        {
            problem = "malformed: no dd/MMM/yyyy:HH:mm:ss.SSS timestamp after the level";
            level = TraceLevel.Unknown;
            return false;
        }
        i += timestampLength;
        if (i < s.Length && s[i] != ' ')
        {
            problem = "malformed: the timestamp runs into the text after it";
            level = TraceLevel.Unknown;
            return false;
        }
        if (i < s.Length)
            i++;

        // The bracket after the timestamp takes three documented forms: [thread:correlation] (7.x, a 24-hex
        // correlation id, all zeros outside a transaction), [thread] (the form the trace documentation describes, no
        // correlation id), or none at all (start-up lines). A bracket that is none of these is a broken header.
        if (i < s.Length && s[i] == '[')
        {
            var close = s[(i + 1)..].IndexOf(']');
            if (close < 0)
            {
                problem = "malformed: the [thread] or [thread:correlation] after the timestamp is not closed";
                level = TraceLevel.Unknown;
                return false;
            }
            var inside = s.Slice(i + 1, close);
            var colon = inside.IndexOf(':');
            var threadSpan = colon < 0 ? inside : inside[..colon];
            if (!IsHex(threadSpan))
            {
                problem = "malformed: the thread id after the timestamp is not hex";
                level = TraceLevel.Unknown;
                return false;
            }
            if (colon >= 0)
            {
                var correlationSpan = inside[(colon + 1)..];
                if (correlationSpan.Length != NoCorrelation.Length || !IsHex(correlationSpan))
                {
                    problem = "malformed: the correlation id is not 24 hex digits";
                    level = TraceLevel.Unknown;
                    return false;
                }
                correlationId = correlationSpan.SequenceEqual(NoCorrelation) ? null : correlationSpan.ToString().ToLowerInvariant();
            }
            thread = threadSpan.ToString();
            i += close + 2;
            if (i < s.Length && s[i] == ' ')
                i++;
        }
        time = parsedTime;
        message = s[i..].ToString();
        return true;
    }

    private static TraceLevel ParseLevel(ReadOnlySpan<char> token) => token switch
    {
        "FATAL" => TraceLevel.Fatal,
        "ERROR" => TraceLevel.Error,
        "INFO" => TraceLevel.Info,
        "DEBUG" => TraceLevel.Debug,
        "DATA" => TraceLevel.Data,
        _ => TraceLevel.Unknown,
    };

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
            return false;
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Reads <c>dd/MMM/yyyy:HH:mm:ss.SSS</c> or <c>dd/MMM/yyyy:HH:mm:ss</c> at the start of <paramref name="s"/>: the
    /// number of characters read, 0 when it is neither.
    /// </summary>
    private static int ReadTimestamp(ReadOnlySpan<char> s, out DateTime time)
    {
        time = default;
        // dd/MMM/yyyy:HH:mm:ss.SSS
        // 0123456789012345678901234
        const int WithoutMilliseconds = 20;
        if (s.Length < WithoutMilliseconds || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':')
            return 0;
        var month = -1;
        for (var m = 0; m < Months.Length; m++)
        {
            if (s.Slice(3, 3).SequenceEqual(Months[m]))
                month = m + 1;
        }
        if (month < 0
            || !TryDigits(s[..2], out var day) || !TryDigits(s.Slice(7, 4), out var year)
            || !TryDigits(s.Slice(12, 2), out var hour) || !TryDigits(s.Slice(15, 2), out var minute)
            || !TryDigits(s.Slice(18, 2), out var second))
            return 0;
        if (year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return 0;
        var length = WithoutMilliseconds;
        var millisecond = 0;
        if (s.Length > WithoutMilliseconds && s[WithoutMilliseconds] == '.')
        {
            if (s.Length < WithoutMilliseconds + 4 || !TryDigits(s.Slice(WithoutMilliseconds + 1, 3), out millisecond))
                return 0;
            length = WithoutMilliseconds + 4;
        }
        time = new DateTime(year, month, day, hour, minute, second, millisecond, DateTimeKind.Unspecified);
        return length;
    }

    private static bool TryDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
