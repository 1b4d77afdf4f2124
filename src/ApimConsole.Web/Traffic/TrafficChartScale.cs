using System.Globalization;

namespace ApimConsole.Web.Traffic;

/// <summary>One line of a traffic chart: its name and a value per step (null: a gap).</summary>
public sealed record TrafficChartSeries(string Name, IReadOnlyList<double?> Values);

/// <summary>The value axis of a traffic chart: a round top above the highest value, and short tick labels.</summary>
public static class TrafficChartScale
{
    /// <summary>The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above <paramref name="max"/> (1 when there is nothing above zero).</summary>
    public static double NiceTop(double max)
    {
        if (!(max > 0) || double.IsInfinity(max))
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= max * (1 - 1e-12))
                return step * magnitude;
        }
        return 10 * magnitude;
    }

    /// <summary>A tick's label: no more digits than it needs (0, 2.5, 12.5, 1.2k).</summary>
    public static string Label(double value) => value switch
    {
        >= 10_000 => (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}
