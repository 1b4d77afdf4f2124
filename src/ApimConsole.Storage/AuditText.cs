using System.Globalization;
using System.Text;

namespace ApimConsole.Storage;

/// <summary>
/// What the audit trail stores of a value it is given: control and formatting characters escaped (a newline becomes
/// <c>\n</c>, a NUL <c>\u0000</c>, a right-to-left override <c>\u202E</c>), so one entry is one line and reads as what was
/// typed; and bounded, so no caller (least of all one not signed in) can fill the store through it.
/// </summary>
public static class AuditText
{
    public const int MaxActor = 200;
    public const int MaxAction = 100;
    public const int MaxTarget = 400;
    public const int MaxDetails = 2000;

    /// <summary>The escaped text, cut to at most <paramref name="max"/> characters with a note of how much was left out.</summary>
    public static string Clean(string text, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 64);
        var escaped = new StringBuilder(Math.Min(text.Length, max + 16));
        var i = 0;
        for (; i < text.Length && escaped.Length <= max; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n': escaped.Append("\\n"); continue;
                case '\r': escaped.Append("\\r"); continue;
                case '\t': escaped.Append("\\t"); continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
                escaped.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else
                escaped.Append(c);
        }
        if (escaped.Length <= max && i >= text.Length)
            return escaped.ToString();
        // Cut: keep what fits beside the note, never half a surrogate pair or half an escape.
        var note = $"…[cut: {text.Length} characters in all]";
        var keep = Math.Max(0, max - note.Length);
        if (keep > 0 && char.IsHighSurrogate(escaped[keep - 1]))
            keep--;
        var backslash = escaped.ToString(0, keep).LastIndexOf('\\');
        if (backslash >= 0 && backslash + 1 < escaped.Length && backslash + (escaped[backslash + 1] == 'u' ? 6 : 2) > keep)
            keep = backslash;
        return escaped.ToString(0, keep) + note;
    }

    public static string? CleanOrNull(string? text, int max) => text is null ? null : Clean(text, max);
}
