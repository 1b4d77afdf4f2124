using ApimConsole.Core.Traffic;

namespace ApimConsole.Core.Tests.Traffic;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Empty_HasNoPercentiles()
    {
        var histogram = new LatencyHistogram();
        Assert.Null(histogram.Percentile(0.5));
        Assert.Equal("", histogram.Encode());
    }

    [Theory]
    [InlineData(0.50)]
    [InlineData(0.95)]
    [InlineData(0.99)]
    public void Percentiles_AreWithinTheBucketError_OfTheExactValue(double p)
    {
        // A skewed, deterministic distribution: most fast, a long tail.
        var random = new Random(42);
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Exp(random.NextDouble() * 8)).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
            histogram.Add(value);

        Array.Sort(values);
        var exact = values[(int)Math.Ceiling(p * values.Length) - 1];
        var estimate = histogram.Percentile(p)!.Value;
        Assert.InRange(estimate, exact, exact * LatencyHistogram.Growth);
    }

    [Fact]
    public void Percentile_IsClamped_ToTheExactExtremes()
    {
        var histogram = new LatencyHistogram();
        histogram.Add(100);
        histogram.Add(100);
        Assert.Equal(100, histogram.Percentile(0.5));
        Assert.Equal(100, histogram.Percentile(1));
    }

    [Fact]
    public void Merge_EqualsAddingEverythingToOne()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var both = new LatencyHistogram();
        for (var i = 1; i <= 500; i++)
        {
            (i % 3 == 0 ? a : b).Add(i * 1.7);
            both.Add(i * 1.7);
        }
        a.Merge(b);
        Assert.Equal(both.Encode(), a.Encode());
        Assert.Equal(both.Percentile(0.95), a.Percentile(0.95));
    }

    [Fact]
    public void EncodeDecode_RoundTrips()
    {
        var histogram = new LatencyHistogram();
        foreach (var ms in new[] { 0.0, 0.4, 3, 3, 250, 12_000, 10_000_000 })
            histogram.Add(ms);
        var decoded = LatencyHistogram.Decode(histogram.Encode());
        Assert.Equal(histogram.Count, decoded.Count);
        Assert.Equal(histogram.Encode(), decoded.Encode());
        Assert.Equal(10_000_000, decoded.Percentile(1));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("1;2")]
    [InlineData("5;1;3:1")]
    [InlineData("1;2;999:1")]
    [InlineData("1;2;3:-1")]
    [InlineData("1;2;x:1")]
    [InlineData("1;2;")]
    public void Decode_RejectsWhatEncodeNeverWrites(string text)
    {
        var error = Assert.Throws<FormatException>(() => LatencyHistogram.Decode(text));
        Assert.Contains("histogram", error.Message);
    }

    [Fact]
    public void Percentile_OutsideZeroToOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatencyHistogram().Percentile(1.5));
    }
}
