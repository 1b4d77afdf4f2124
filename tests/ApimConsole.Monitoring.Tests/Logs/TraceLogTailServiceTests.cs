using ApimConsole.Core.Configuration;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Logs;

public sealed class TraceLogTailServiceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tail-service-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task TailsEachConfiguredDatacenter_AndReportsTheUnreachableOne()
    {
        var folder = Path.Combine(_root, "groups", "group-2", "instance-1", "trace");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "A_20261123193000.trc"),
            "INFO    23/Nov/2026:19:30:00.000 [4f2a:000000000000000000000000] Server started\n" +
            "INFO    23/Nov/2026:19:30:01.000 [4f2a:697f605fdb408a78c01cc73e] next\n");
        var estate = new EstateOptions
        {
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", Logs = new TraceLogOptions { Directory = _root } },
                new DatacenterOptions { Id = "dc2", Logs = new TraceLogOptions { Url = "http://127.0.0.1:1/" } },
                new DatacenterOptions { Id = "dc3" }, // no logs configured: not tailed
            ],
        };
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow))
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(Options.Create(estate))
            .AddTraceLogTails(capacity: 10);
        await using var provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<TraceLogTailService>();

        await service.StartAsync(default);
        await Eventually.Until(() => service.Buffer.Count > 0 && !service.Statuses.Any(s => s.Error is null && !s.Reachable),
            TimeSpan.FromSeconds(10), "the tails to poll");
        await service.StopAsync(default);

        Assert.Same(provider.GetRequiredService<TraceLogBuffer>(), service.Buffer);
        Assert.Equal("Server started", Assert.Single(service.Buffer.Latest(10)).Entry.Message);
        Assert.Equal(["dc1", "dc2"], service.Statuses.Select(s => s.DatacenterId));
        Assert.True(service.Statuses[0].Reachable);
        Assert.False(service.Statuses[1].Reachable);
        Assert.Contains("unreachable", service.Statuses[1].Error);
    }
}
