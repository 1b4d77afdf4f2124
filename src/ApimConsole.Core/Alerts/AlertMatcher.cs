namespace ApimConsole.Core.Alerts;

/// <summary>A matcher could not be read; <see cref="Exception.Message"/> says which term and why.</summary>
public sealed class AlertMatcherException(string message) : FormatException(message);

/// <summary>
/// Which alerts a rule routes or a silence mutes, written as terms that must all hold:
/// <c>kind=scenario|guardrail severity&gt;=warning dc=dc2 key=scenario:DatacenterDown:*</c>. Fields: <c>kind</c>,
/// <c>severity</c> (with <c>=</c>, <c>!=</c> or <c>&gt;=</c>), <c>dc</c>, <c>key</c> (a trailing <c>*</c> matches any
/// rest). <c>|</c> separates alternatives; terms are separated by spaces or commas. The empty matcher matches everything.
/// </summary>
public sealed class AlertMatcher
{
    public const int MaxLength = 500;

    private readonly IReadOnlyList<Term> _terms;

    private AlertMatcher(string text, IReadOnlyList<Term> terms)
    {
        Text = text;
        _terms = terms;
    }

    /// <summary>The matcher as written (trimmed).</summary>
    public string Text { get; }

    public bool MatchesEverything => _terms.Count == 0;

    public static readonly IReadOnlyList<string> Fields = ["kind", "severity", "dc", "key"];

    /// <summary>Reads <paramref name="text"/>, or throws <see cref="AlertMatcherException"/> naming the term that is wrong.</summary>
    public static AlertMatcher Parse(string? text)
    {
        text = (text ?? "").Trim();
        if (text.Length > MaxLength)
            throw new AlertMatcherException($"The matcher is {text.Length} characters long; at most {MaxLength} are allowed.");
        var terms = new List<Term>();
        foreach (var raw in text.Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
            terms.Add(ParseTerm(raw));
        return new AlertMatcher(text, terms);
    }

    public static bool TryParse(string? text, out AlertMatcher? matcher, out string? error)
    {
        try
        {
            matcher = Parse(text);
            error = null;
            return true;
        }
        catch (AlertMatcherException e)
        {
            matcher = null;
            error = e.Message;
            return false;
        }
    }

    public bool Matches(AlertKind kind, AlertSeverity severity, string? datacenterId, string key) =>
        _terms.All(t => t.Matches(kind, severity, datacenterId, key));

    public bool Matches(AlertSignal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return Matches(signal.Kind, signal.Severity, signal.DatacenterId, signal.Key);
    }

    public override string ToString() => Text;

    private static Term ParseTerm(string raw)
    {
        var (field, op, value) = Split(raw);
        var alternatives = value.Split('|');
        if (alternatives.Any(a => a.Length == 0))
            throw new AlertMatcherException($"'{raw}': an empty value; write e.g. kind=scenario|guardrail.");
        switch (field.ToLowerInvariant())
        {
            case "kind":
                NoOrdering(raw, op);
                var kinds = alternatives.Select(a => ParseEnum<AlertKind>(raw, "kind", a)).ToHashSet();
                return new Term(op == "!=", (k, _, _, _) => kinds.Contains(k));
            case "severity":
                var severities = alternatives.Select(a => ParseEnum<AlertSeverity>(raw, "severity", a)).ToList();
                if (op == ">=")
                {
                    if (severities.Count != 1)
                        throw new AlertMatcherException($"'{raw}': >= takes one severity.");
                    var least = severities[0];
                    return new Term(false, (_, s, _, _) => s >= least);
                }
                return new Term(op == "!=", (_, s, _, _) => severities.Contains(s));
            case "dc":
            case "datacenter":
                NoOrdering(raw, op);
                return new Term(op == "!=", (_, _, dc, _) => dc is not null && alternatives.Contains(dc, StringComparer.OrdinalIgnoreCase));
            case "key":
                NoOrdering(raw, op);
                if (alternatives.Any(a => a.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != a.Length - 1))
                    throw new AlertMatcherException($"'{raw}': '*' may only end a key pattern (key=scenario:DatacenterDown:*).");
                return new Term(op == "!=", (_, _, _, key) => alternatives.Any(a => KeyMatches(a, key)));
            default:
                throw new AlertMatcherException($"'{raw}': unknown field '{field}'. Known fields: {string.Join(", ", Fields)}.");
        }
    }

    private static (string Field, string Op, string Value) Split(string raw)
    {
        foreach (var op in (string[])["!=", ">=", "="])
        {
            var at = raw.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
                return (raw[..at], op, raw[(at + op.Length)..]);
        }
        throw new AlertMatcherException($"'{raw}' is not a term: write field=value, field!=value or severity>=value (fields: {string.Join(", ", Fields)}).");
    }

    private static void NoOrdering(string raw, string op)
    {
        if (op == ">=")
            throw new AlertMatcherException($"'{raw}': >= is for severity only.");
    }

    private static T ParseEnum<T>(string raw, string field, string value) where T : struct, Enum
    {
        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _))
            return parsed;
        throw new AlertMatcherException($"'{raw}': '{value}' is not a {field}. Known: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }

    private static bool KeyMatches(string pattern, string key) =>
        pattern.EndsWith('*')
            ? key.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, key, StringComparison.OrdinalIgnoreCase);

    private sealed record Term(bool Negated, Func<AlertKind, AlertSeverity, string?, string, bool> Test)
    {
        public bool Matches(AlertKind kind, AlertSeverity severity, string? dc, string key) => Test(kind, severity, dc, key) != Negated;
    }
}
