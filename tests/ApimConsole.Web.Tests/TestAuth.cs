using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Web.Tests;

/// <summary>
/// How the test consoles authenticate: each starts with <see cref="BootstrapToken"/> as its Auth:BootstrapAdminToken
/// (an Administrator API token) and every client the factories hand out sends it as a Bearer header.
/// </summary>
public static class TestAuth
{
    public const string BootstrapToken = "test-bootstrap-admin-token-0123456789abcdef";

    /// <summary>A known first administrator password, for tests that sign in through the form.</summary>
    public const string AdminPassword = "Test-Admin-Password-1";

    public static void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:BootstrapAdminToken", BootstrapToken);
        builder.UseSetting("Auth:InitialAdminPassword", AdminPassword);
    }

    public static void Authorize(HttpClient client) =>
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BootstrapToken);
}
