using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ApimConsole.Testing;

/// <summary>
/// What an in-process test console logs to the test run's output: what went wrong where a test fails, not the
/// expected noise of every passing test. Each filter names why its messages say nothing in a test:
/// <list type="bullet">
/// <item>TestServer has no <c>IHttpMaxRequestBodySizeFeature</c>, so routing warns on every request to an endpoint
/// with a body size limit (the upload); the limit itself is proven on Kestrel (<c>BodyFarOverTheLimit_Is400_BeforeItIsRead</c>).</item>
/// <item>Data protection warns that its keys are stored unencrypted: a test console's keys live in its temp folder
/// for the test's length, so they are stored in clear on purpose (<see cref="NullXmlEncryptor"/>), said explicitly.</item>
/// <item>A host that fails to start logs the exception at Error, and the same exception is thrown into the test,
/// which either expects it (start-up validation tests) or fails with it.</item>
/// <item>EF Core logs every failed command at Error before the exception reaches the console's own code, which
/// reports it itself (<c>StoreWriter</c>, the incident recorder): the console's words stay, EF's duplicate goes.</item>
/// <item>The first start's warning (FIRST START) is what the test's <c>Auth:InitialAdminPassword</c> asks for, at every
/// start of a test console; <c>SignInTests</c> captures and asserts it. Its errors still show.</item>
/// <item>A console on Kestrel listens where its test says (<c>UseKestrel</c>); the shipped <c>Urls</c> are cleared, or
/// Kestrel would warn at every start that it overrides them.</item>
/// </list>
/// Given the test's <see cref="ITestOutputHelper"/>, the console logs there instead (<see cref="TestOutputLoggerProvider"/>):
/// everything it says is shown with the test when the test fails, and kept out of the run's log when it passes.
/// A test that provokes failures on purpose (a store that refuses writes, a handler that throws) passes
/// <c>provokesFailures: true</c>: its console then prints only Critical, and the test's assertions say what happened.
/// </summary>
public static class TestHostLogging
{
    /// <summary>
    /// Where EF Core reports a failed command, connection, transaction, save or query (a store the test made refuse
    /// writes, a locked file, a folder a finished test removed while a background read was under way).
    /// </summary>
    private static readonly string[] EfFailureCategories =
    [
        "Microsoft.EntityFrameworkCore.Database.Command",
        "Microsoft.EntityFrameworkCore.Database.Connection",
        "Microsoft.EntityFrameworkCore.Database.Transaction",
        "Microsoft.EntityFrameworkCore.Update",
        "Microsoft.EntityFrameworkCore.Query",
    ];

    private const string FirstStartCategory = "ApimConsole.Web.Security.FirstStartService";

    public static void Configure(IWebHostBuilder builder, bool testServer = true, bool provokesFailures = false, ITestOutputHelper? output = null)
    {
        builder.ConfigureLogging(logging => Filter(logging, testServer, provokesFailures, output));
        // A console on Kestrel listens where its test says (UseKestrel); without this the shipped Urls would be
        // overridden with a warning at every start.
        if (!testServer)
            builder.UseSetting(WebHostDefaults.ServerUrlsKey, "");
        builder.ConfigureServices(services => services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new NullXmlEncryptor()));
    }

    /// <param name="output">
    /// The test's own output: the console logs there (<see cref="TestOutputLoggerProvider"/>) instead of on the run's
    /// console, so a passing test's log lines stay with the test and a failing test shows them with its failure.
    /// </param>
    public static void Filter(ILoggingBuilder logging, bool testServer = true, bool provokesFailures = false, ITestOutputHelper? output = null)
    {
        if (output is not null)
        {
            logging.ClearProviders();
            logging.AddProvider(new TestOutputLoggerProvider(output));
        }
        if (testServer)
            logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointRoutingMiddleware", LogLevel.Error);
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        foreach (var category in EfFailureCategories)
            logging.AddFilter(category, LogLevel.Critical);
        // The first start's warning is what the test's Auth:InitialAdminPassword asks for, at every start of a test
        // console: not a warning to the run (SignInTests captures and asserts it). Its errors still show.
        if (output is null)
            logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(FirstStartCategory, LogLevel.Error);
        // A rule for the console provider itself outranks every category rule without one (appsettings.json's included).
        if (provokesFailures)
            logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(level => level >= LogLevel.Critical);
    }
}
