using System.Net;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// The cookie keys live in the console's data folder: a console restarted on the same folder (here, a second host on
/// it) accepts the sign-in cookie the first issued; one whose keys are elsewhere does not.
/// </summary>
public sealed class DataProtectionKeysTests
{
    private const string Password = "Support-Password-1";

    [Fact]
    public async Task ASecondConsoleOnTheSameDataFolder_AcceptsTheSignInCookie_OneWithOtherKeysDoesNot()
    {
        await using var first = new ConsoleTestHost();
        await SecurityClients.CreateUserAsync(first, "sam", Password, ConsoleRoles.Support);
        var handler = new CookieContainerHandler { InnerHandler = first.Server.CreateHandler() };
        using var browser = new HttpClient(handler) { BaseAddress = first.Server.BaseAddress };
        var signIn = await SecurityClients.PostSignInAsync(browser, "sam", Password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = handler.Container.GetCookieHeader(first.Server.BaseAddress);
        Assert.Contains(ConsoleSecurityExtensions.IdentityCookieName, cookie);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(first.DataFolder, "keys"), "key-*.xml"));

        // The same store and data folder: as after a restart.
        await using var second = new ConsoleTestHost(new Dictionary<string, string?> { ["Storage:SqlitePath"] = first.DatabaseFile });
        // The same store, keys elsewhere: the cookie cannot be read.
        var elsewhere = Path.Combine(Path.GetTempPath(), "apimconsole-keys-" + Guid.NewGuid().ToString("N"));
        var other = new ConsoleTestHost(new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = first.DatabaseFile,
            ["Auth:KeysPath"] = elsewhere,
        });
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await GetWithCookieAsync(second, cookie)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithCookieAsync(other, cookie)).StatusCode);
            Assert.NotEmpty(Directory.EnumerateFiles(elsewhere, "key-*.xml"));
            // Without the cookie the second console refuses: the 200 above was the cookie's doing.
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithCookieAsync(second, null)).StatusCode);
        }
        finally
        {
            await other.DisposeAsync();
            if (Directory.Exists(elsewhere))
                Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Theory]
    [InlineData("Sqlite", "/srv/console/data/console.db", null, "/srv/console/data/keys")]
    [InlineData("Sqlite", "data/apimconsole.db", null, "/opt/apimconsole/data/keys")]
    [InlineData("Sqlite", "data/apimconsole.db", "/var/lib/apimconsole/keys", "/var/lib/apimconsole/keys")]
    [InlineData("SqlServer", "data/apimconsole.db", null, "/opt/apimconsole/data/keys")]
    [InlineData("SqlServer", "", "secrets/keys", "/opt/apimconsole/secrets/keys")]
    public void KeysFolder_IsAuthKeysPath_ElseNextToTheSqliteFile_ElseUnderTheContentRoot(string provider, string sqlitePath, string? keysPath, string expected)
    {
        var folder = ConsoleDataProtection.KeysFolder(
            new AuthOptions { KeysPath = keysPath },
            new ApimConsole.Core.Configuration.StorageOptions { Provider = provider, SqlitePath = sqlitePath },
            "/opt/apimconsole");
        Assert.Equal(expected, folder);
    }

    private static async Task<HttpResponseMessage> GetWithCookieAsync(ConsoleTestHost host, string? cookie)
    {
        using var client = new HttpClient(host.Server.CreateHandler()) { BaseAddress = host.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/incidents");
        if (cookie is not null)
            request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }
}
