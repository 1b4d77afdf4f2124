using System.Globalization;

namespace ApimConsole.Benchmarks;

/// <summary>Command-line options of a benchmark (<c>--name value</c>) and the percentile its summaries print.</summary>
internal static class BenchmarkArgs
{
    public static int Int(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static double Double(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;

    /// <summary>The nearest-rank percentile of an ascending list.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
