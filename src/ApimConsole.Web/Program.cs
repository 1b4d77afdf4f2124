using ApimConsole.Web.Hosting;

var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions(args));
builder.AddApimConsole();

var app = builder.Build();
app.UseApimConsole();
app.Run();

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
