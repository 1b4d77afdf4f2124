using ApimConsole.Core.Traffic;

namespace ApimConsole.Core.Tests.Traffic;

public sealed class RecentTransactionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private static TrafficTransaction Tx(int i, string dc = "dc1", string instance = "instance-1", string uri = "/orders/v1/items", int status = 200, double ms = 5) =>
        new(dc, instance, i.ToString("x24"), T0.AddSeconds(i), ms, status, "GET", uri, "Orders", status < 400 ? "Pass" : "Fail");

    private static TransactionQuery Query(params (string Name, string Value)[] values)
    {
        var query = TransactionQuery.Parse(n => values.FirstOrDefault(v => v.Name == n).Value, out var errors);
        Assert.Empty(errors);
        return query!;
    }

    [Fact]
    public void Ring_KeepsOnlyTheNewest()
    {
        var store = new RecentTransactions(capacity: 100);
        store.Add(Enumerable.Range(0, 250).Select(i => Tx(i)));
        Assert.Equal(100, store.Count);
        var all = store.Search(new TransactionQuery { Limit = 1000 });
        Assert.Equal(100, all.Count);
        Assert.Equal(T0.AddSeconds(249), all[0].Timestamp);
        Assert.Equal(T0.AddSeconds(150), all[^1].Timestamp);
    }

    [Fact]
    public void Search_ByEachCriterion()
    {
        var store = new RecentTransactions();
        store.Add([
            Tx(1), Tx(2, dc: "dc2", instance: "instance-3"), Tx(3, uri: "/payments/v2/x", status: 503, ms: 900),
            Tx(4, status: 404), Tx(5, ms: 250),
        ]);
        Assert.Equal(Tx(2).CorrelationId, Assert.Single(store.Search(Query(("correlationId", "Id-" + Tx(2).CorrelationId.ToUpperInvariant() + " 0")))).CorrelationId);
        Assert.Single(store.Search(Query(("path", "/PAYMENTS"))));
        Assert.Single(store.Search(Query(("status", "503"))));
        Assert.Equal(2, store.Search(Query(("status", "5xx"))).Count + store.Search(Query(("status", "4xx"))).Count);
        Assert.Equal([3, 5], store.Search(Query(("minDurationMs", "250"))).Select(t => t.Timestamp.Second).Order());
        Assert.Equal(3, store.Search(Query(("from", T0.AddSeconds(2).ToString("O")), ("to", T0.AddSeconds(4).ToUnixTimeMilliseconds().ToString()))).Count);
        Assert.Single(store.Search(Query(("instance", "instance-3"))));
        Assert.Single(store.Search(Query(("dc", "dc2"))));
        Assert.Equal(2, store.Search(Query(("limit", "2"))).Count);
    }

    [Theory]
    [InlineData("status", "600", "status")]
    [InlineData("status", "6xx", "status")]
    [InlineData("minDurationMs", "-1", "minDurationMs")]
    [InlineData("minDurationMs", "fast", "minDurationMs")]
    [InlineData("from", "yesterday", "from")]
    [InlineData("limit", "0", "limit")]
    [InlineData("limit", "5000", "limit")]
    [InlineData("correlationId", "'; drop table", "correlationId")]
    public void BadValues_AreNamed_AndNoQueryIsMade(string name, string value, string named)
    {
        var query = TransactionQuery.Parse(n => n == name ? value : null, out var errors);
        Assert.Null(query);
        Assert.Contains(errors, e => e.StartsWith(named, StringComparison.Ordinal));
    }

    [Fact]
    public void ToBeforeFrom_IsRefused()
    {
        Assert.Null(TransactionQuery.Parse(n => n switch { "from" => "2026-11-23T14:00:00Z", "to" => "2026-11-23T13:00:00Z", _ => null }, out var errors));
        Assert.Contains("to is before from.", errors);
    }
}
