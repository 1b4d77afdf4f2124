using System.Reflection;
using ApimConsole.Web.Components.Controls;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Tests.Components;

/// <summary>Issue #21: every page's browser title follows one rule, "&lt;Page&gt; · &lt;Estate name&gt; · ApimConsole", set in one place.</summary>
public class PageTitleRuleTests
{
    [Theory]
    [InlineData("Overview", "APIM lab estate", "Overview · APIM lab estate · ApimConsole")]
    [InlineData("Sign in", " Production ", "Sign in · Production · ApimConsole")]
    [InlineData("Wall", null, "Wall · ApimConsole")]
    [InlineData("Tokens", "", "Tokens · ApimConsole")]
    public void Text_IsPageThenEstateThenApimConsole(string page, string? estate, string expected) =>
        Assert.Equal(expected, ConsoleTitle.Text(page, estate));

    [Fact]
    public void EveryRoutablePage_SetsItsTitleThroughConsoleTitle_AndNothingElseWritesAPageTitle()
    {
        var components = Path.Combine(ApimConsole.Web.Hosting.ConsoleHostDefaults.FindContentRoot(), "src", "ApimConsole.Web", "Components");
        var razor = Directory.GetFiles(components, "*.razor", SearchOption.AllDirectories);
        var routable = razor.Where(f => File.ReadLines(f).Any(l => l.TrimStart().StartsWith("@page ", StringComparison.Ordinal))).ToList();

        // As many pages in the sources as routable components in the assembly: the scan sees every page.
        var routes = typeof(ConsoleTitle).Assembly.GetTypes().Count(t => typeof(IComponent).IsAssignableFrom(t) && t.GetCustomAttributes<RouteAttribute>().Any());
        Assert.Equal(routes, routable.Count);
        Assert.All(routable, f => Assert.True(File.ReadAllText(f).Contains("<PageHeader ", StringComparison.Ordinal) || File.ReadAllText(f).Contains("<ConsoleTitle ", StringComparison.Ordinal),
            $"{Path.GetFileName(f)} has no PageHeader or ConsoleTitle"));
        Assert.Equal(["ConsoleTitle.razor"], razor.Where(f => File.ReadAllText(f).Contains("<PageTitle", StringComparison.Ordinal)).Select(Path.GetFileName));
    }
}
