using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Connections;

var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions(args));
builder.AddApimConsole();

var app = builder.Build();
// (The test host, WebApplicationFactory, stops this program at Build and runs the host itself: nothing below runs there.)
if (ConsoleHostDefaults.FindAddressInUse(app.Configuration[WebHostDefaults.ServerUrlsKey]) is { } busy)
{
    Console.Error.WriteLine(ConsoleHostDefaults.AddressInUseMessage(new IOException($"Failed to bind to address {busy}: address already in use.")));
    return 1;
}
app.UseApimConsole();
try
{
    // A bad appsettings.json ends here with an OptionsValidationException listing every wrong key. It is left
    // unhandled on purpose: the test host (WebApplicationFactory) needs to see it, and its message comes first.
    app.Run();
}
catch (IOException e) when (e.InnerException is AddressInUseException)
{
    // The commonest first-start failure: say it in one line, not a stack trace. The administrator is created only once
    // the console listens, so its one-time password has not been used up.
    Console.Error.WriteLine(ConsoleHostDefaults.AddressInUseMessage(e));
    return 1;
}
return 0;

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
