using System.Security.Cryptography;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>
/// At start-up, after the store is migrated: the three roles exist and <see cref="AuthOptions.BootstrapAdminToken"/>,
/// when set, is an Administrator API token. Once the console listens (not before: a start that fails on a busy port
/// must not use up a password printed only once), with no user at all, "admin" (Administrator) is created with
/// <see cref="AuthOptions.InitialAdminPassword"/> or a generated password logged once.
/// </summary>
internal sealed class FirstStartService(IServiceScopeFactory scopes, StoreWriter writer, ApiTokenService tokens, AuditLog audit, IOptions<AuthOptions> options,
    ILogger<FirstStartService> logger)
    : IHostedLifecycleService
{
    public const string AdminUserName = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        // The missing roles in one transaction, retried as a whole (StoreWriter): refused, the start stops with the refusal.
        await writer.WriteAsync("create the console's roles", async ct =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            var db = scope.ServiceProvider.GetRequiredService<ConsoleDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            foreach (var role in ConsoleRoles.All)
            {
                if (!await roles.RoleExistsAsync(role))
                    Check(await roles.CreateAsync(new IdentityRole(role)), $"creating role {role}");
            }
            await transaction.CommitAsync(ct);
        }, cancellationToken);
        if (!string.IsNullOrWhiteSpace(auth.BootstrapAdminToken))
        {
            var token = await tokens.EnsureBootstrapAsync(auth.BootstrapAdminToken, cancellationToken);
            if (token.RevokedAt is not null)
                logger.LogWarning("Auth:BootstrapAdminToken is set but that token was revoked on {RevokedAt} by {RevokedBy}; it stays revoked.", token.RevokedAt, token.RevokedBy);
        }
        if (!string.IsNullOrWhiteSpace(auth.PeerViewerToken))
        {
            // The token the console in the other datacenter reads this one's view with (its Peer:Token): Viewer, read-only.
            var token = await tokens.EnsureConfiguredAsync(auth.PeerViewerToken, "peer", ConsoleRoles.Viewer, ApimConsole.Storage.Records.ApiTokenKind.Peer, cancellationToken);
            if (token.RevokedAt is not null)
                logger.LogWarning("Auth:PeerViewerToken is set but that token was revoked on {RevokedAt} by {RevokedBy}; it stays revoked.", token.RevokedAt, token.RevokedBy);
        }
    }

    /// <summary>Runs after every hosted service started, the web server included: the console listens.</summary>
    /// <remarks>
    /// The administrator, its role and its audit entry are one <see cref="StoreWriter"/> unit, retried as a whole. A
    /// store that refuses it past every attempt stops the start with the refusal: no administrator, no password shown.
    /// </remarks>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        var generated = string.IsNullOrEmpty(auth.InitialAdminPassword);
        var password = generated ? GeneratePassword() : auth.InitialAdminPassword!;
        IdentityResult? outcome;
        try
        {
            outcome = await writer.WriteAsync("create the first administrator", ct => CreateAdministratorOnceAsync(password, ct), cancellationToken);
        }
        catch (ConsoleStoreUnavailableException e)
        {
            logger.LogCritical("FIRST START: no user exists and the administrator '{User}' could not be created: {Problem}. " +
                "Nothing was created; start the console again once its store takes writes.", AdminUserName, StoreWriter.Describe(e).TrimEnd('.'));
            throw;
        }
        if (outcome is { Succeeded: false })
            throw new InvalidOperationException("Auth:InitialAdminPassword is not accepted: " + string.Join(" ", outcome.Errors.Select(e => e.Description)));
        if (outcome is null)
            return;
        if (generated)
        {
            logger.LogWarning(
                "FIRST START: no user existed, so the console created the administrator '{User}' with the password {Password} . " +
                "This password is shown only this once: sign in at /account/signin and change it (Change password). " +
                "Set Auth:InitialAdminPassword to choose it instead.", AdminUserName, password);
        }
        else
        {
            logger.LogWarning("FIRST START: no user existed, so the console created the administrator '{User}' with the password from Auth:InitialAdminPassword.", AdminUserName);
        }
    }

    /// <summary>
    /// One attempt, on a scope of its own (a failed attempt leaves its context's tracked rows in an unknown state): null
    /// when a user already exists, the refusal when Identity does not accept the password, success when created.
    /// </summary>
    private async Task<IdentityResult?> CreateAdministratorOnceAsync(string password, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        // The administrator and its audit entry are one transaction on the context Identity saves through; the check
        // is inside it, so a user created meanwhile is seen.
        var db = scope.ServiceProvider.GetRequiredService<ConsoleDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.Users.AnyAsync(cancellationToken))
            return null;
        var admin = new IdentityUser(AdminUserName);
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
            return created;
        Check(await users.AddToRoleAsync(admin, ConsoleRoles.Administrator), "making admin an Administrator");
        audit.Add(db, AuditActor.System, "user.created", AdminUserName, "first start: Administrator");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>24 random characters with at least one upper-case letter, one lower-case letter and one digit.</summary>
    internal static string GeneratePassword()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        while (true)
        {
            var password = new string(Enumerable.Range(0, 24).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray());
            if (password.Any(char.IsUpper) && password.Any(char.IsLower) && password.Any(char.IsDigit))
                return password;
        }
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Security set-up failed {what}: " + string.Join(" ", result.Errors.Select(e => e.Description)));
    }
}
