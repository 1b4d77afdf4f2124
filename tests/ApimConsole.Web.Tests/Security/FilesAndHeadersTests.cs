using System.Net;
using ApimConsole.Storage;

namespace ApimConsole.Web.Tests.Security;

/// <summary>Issue #19 point 7: static files carry the pages' security headers; the keys folder is the console's only.</summary>
public sealed class FilesAndHeadersTests
{
    [Theory]
    [InlineData("/css/console.css")]
    [InlineData("/js/theme.js")]
    [InlineData("/favicon.svg")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task StaticFiles_CarryTheSecurityHeaders(string path)
    {
        await using var console = new ConsoleTestHost();
        using var client = SecurityClients.Anonymous(console);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.True(response.Headers.Contains("Referrer-Policy"));
    }

    [Fact]
    public async Task TheStoreFileAndTheKeysFolder_AreTheConsolesOnly()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix file modes only
        await using var console = new ConsoleTestHost();
        using var client = SecurityClients.Anonymous(console);
        // A sign-in page issues an antiforgery cookie: a key is written.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/signin")).StatusCode);
        var keys = Path.Combine(console.DataFolder, "keys");
        Assert.Equal(OwnerOnly.FolderMode, File.GetUnixFileMode(keys));
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
        Assert.Equal(OwnerOnly.FileMode, File.GetUnixFileMode(console.DatabaseFile));
    }
}
