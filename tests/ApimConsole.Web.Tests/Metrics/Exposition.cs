using System.Globalization;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>One sample of a Prometheus text exposition: the metric name, its labels and its value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the Prometheus text format (0.0.4) the way a scraper does, for assertions on names, labels and values.</summary>
public static class Exposition
{
    public static IReadOnlyList<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            string rest;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (brace >= 0 && brace < space)
            {
                name = line[..brace];
                var end = line.LastIndexOf('}');
                foreach (var pair in SplitLabels(line[(brace + 1)..end]))
                    labels[pair.Key] = pair.Value;
                rest = line[(end + 1)..].Trim();
            }
            else
            {
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }
            var value = rest.Split(' ')[0];
            samples.Add(new Sample(name, labels, value switch
            {
                "NaN" => double.NaN,
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            }));
        }
        return samples;
    }

    private static IEnumerable<KeyValuePair<string, string>> SplitLabels(string body)
    {
        var i = 0;
        while (i < body.Length)
        {
            var eq = body.IndexOf('=', i);
            var key = body[i..eq].Trim(' ', ',');
            var j = eq + 2; // past ="
            var value = new System.Text.StringBuilder();
            while (body[j] != '"')
            {
                if (body[j] == '\\')
                    j++;
                value.Append(body[j]);
                j++;
            }
            yield return new(key, value.ToString());
            i = j + 1;
        }
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/> ("key=value").</summary>
    public static IReadOnlyList<Sample> Find(this IReadOnlyList<Sample> samples, string name, params string[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l =>
        {
            var eq = l.IndexOf('=', StringComparison.Ordinal);
            return s.Labels.TryGetValue(l[..eq], out var v) ? v == l[(eq + 1)..] : l[(eq + 1)..].Length == 0;
        })).ToList();

    /// <summary>The one sample named <paramref name="name"/> with those labels; fails when there is none or several.</summary>
    public static double Value(this IReadOnlyList<Sample> samples, string name, params string[] labels)
    {
        var found = samples.Find(name, labels);
        Assert.True(found.Count == 1, $"{found.Count} samples of {name}{{{string.Join(",", labels)}}}");
        return found[0].Value;
    }
}
