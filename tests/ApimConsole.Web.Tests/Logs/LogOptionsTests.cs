using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Logs;

public sealed class LogOptionsTests
{
    [Fact]
    public void Validate_NamesEveryKeyOutOfRange()
    {
        var errors = new TraceLogTailOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(10),
            BufferCapacity = 10,
            BackfillBytes = -1,
            MaxBytesPerPoll = 100,
        }.Validate();

        Assert.Equal(4, errors.Count);
        foreach (var key in new[] { "Logs:PollInterval", "Logs:BufferCapacity", "Logs:BackfillBytes", "Logs:MaxBytesPerPoll" })
            Assert.Contains(errors, e => e.StartsWith(key, StringComparison.Ordinal));
        Assert.Empty(new TraceLogTailOptions().Validate());
    }

    [Fact]
    public async Task BadBufferCapacity_StopsStart_NamingTheKey()
    {
        await using var settings = new ConsoleTestHost(new Dictionary<string, string?> { ["Logs:BufferCapacity"] = "5" });
        var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        TestHostLogging.Filter(builder.Logging, testServer: false);
        builder.AddApimConsole();
        await using var app = builder.Build();
        app.UseApimConsole();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Logs:BufferCapacity must be between 1000 and 5000000 (found 5)", error.Message);
    }
}
