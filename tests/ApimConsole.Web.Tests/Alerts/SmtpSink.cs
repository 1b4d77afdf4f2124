using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>
/// A real SMTP server (Debian's python3-aiosmtpd, run by /usr/bin/python3 from <c>smtp_sink.py</c>) on 127.0.0.1 that
/// writes every accepted message to a folder. Fails the test, never skips it, when the module is missing.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    public const string User = "alerts";
    public const string Password = "mail-secret-42";

    private readonly Process _process;

    private SmtpSink(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }
    public string Folder { get; }

    public IReadOnlyList<string> Messages =>
        Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.eml").OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture))
            .Select(File.ReadAllText).ToList() : [];

    public static async Task<SmtpSink> StartAsync()
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install Debian's python3 and python3-aiosmtpd (tests/run.sh does).");
        var folder = Directory.CreateTempSubdirectory("apimconsole-smtp-").FullName;
        // A free port: aiosmtpd's controller checks its own listener by connecting to the port, so it cannot take 0.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var start = new ProcessStartInfo(Python)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Alerts", "smtp_sink.py"));
            foreach (var arg in (string[])[port.ToString(System.Globalization.CultureInfo.InvariantCulture), folder, User, Password])
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(ready.Token);
            if (line != "READY")
            {
                var error = await process.StandardError.ReadToEndAsync(CancellationToken.None);
                Assert.Fail($"The SMTP server did not start ({line}): {error} (is python3-aiosmtpd installed? tests/run.sh installs it)");
            }
            return new SmtpSink(process, port, folder);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
