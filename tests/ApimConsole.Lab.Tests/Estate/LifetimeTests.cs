using System.Diagnostics;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.Estate;

public sealed class LifetimeTests
{
    [Fact]
    public async Task Dispose_StopsQuickly_EvenWithHungRequestsAndTrafficRunning()
    {
        var lab = await LabTestHost.StartAsync(o => o.TrafficRatePerSecond = 50);
        lab.Faults.Apply("dc1/instance-1", "hang");
        lab.Faults.Apply("dc2/anm", "hang");
        using var client = LabTestHost.Client(timeout: TimeSpan.FromSeconds(30));
        var hungGateway = client.GetAsync(LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/healthcheck");
        var hungAnm = client.GetAsync(lab.Endpoints["dc2"].AnmUrl + "/api/topology");
        await Eventually.Until(() => lab.TrafficCounts.Sent > 0, TimeSpan.FromSeconds(10), "some traffic to flow");

        var watch = Stopwatch.StartNew();
        await lab.DisposeAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"disposed in {watch.Elapsed}");
        Assert.Null(await LabTestHost.TryGetStatusAsync(client, LabTestHost.TrafficUrl(lab, "dc1", "instance-2") + "/healthcheck"));
        await Task.WhenAll(Swallow(hungGateway), Swallow(hungAnm)).WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The servers went away under the request: any failure is fine, hanging forever is not.
        }
    }
}
