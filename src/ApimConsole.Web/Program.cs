using ApimConsole.Web.Hosting;

var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions(args));
builder.AddApimConsole();

var app = builder.Build();
app.UseApimConsole();
// A bad appsettings.json ends here with an OptionsValidationException listing every wrong key. It is left
// unhandled on purpose: the test host (WebApplicationFactory) needs to see it, and its message comes first.
app.Run();

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
