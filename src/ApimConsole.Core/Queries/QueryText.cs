namespace ApimConsole.Core.Queries;

/// <summary>Reading one named value of a query (a URL's query string, a form) the same way everywhere.</summary>
public static class QueryText
{
    /// <summary>
    /// The trimmed value of <paramref name="name"/>, or null when it is absent or blank. A value longer than
    /// <paramref name="max"/> characters is null too, with a problem naming the parameter added to <paramref name="problems"/>.
    /// </summary>
    public static string? Read(Func<string, string?> value, string name, int max, ICollection<string> problems)
    {
        var v = value(name)?.Trim();
        if (string.IsNullOrEmpty(v))
            return null;
        if (v.Length > max)
        {
            problems.Add($"{name} is longer than {max} characters.");
            return null;
        }
        return v;
    }
}
