using System.Security.Cryptography;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.AspNetCore.Identity;

namespace ApimConsole.Web.Security;

/// <summary>
/// The sign-in form's check of a user name and password. Every failure gets the same answer in about the same time,
/// whether the name exists, the password is wrong or the account is locked: an unknown name costs a password hash too
/// (of a dummy), and a locked account's answer waits for one. Administrators are never locked by failed sign-ins (an
/// anonymous caller could otherwise keep them out); per-client throttling (<see cref="SignInProtection"/>) stands before
/// every account. Everything is audited, the name typed recorded as a user (never as a token), escaped and bounded.
/// The check writes (the failed-attempt count, the lockout) and is one unit of <see cref="StoreWriter"/>: a store
/// that refuses it is retried as a whole on a fresh context, then <see cref="ConsoleStoreUnavailableException"/>, and
/// the cookie is set only once the sign-in is audited.
/// </summary>
public sealed class ConsoleSignIn(SignInManager<IdentityUser> signIn, IServiceScopeFactory scopes, StoreWriter writer, IPasswordHasher<IdentityUser> hasher, AuditLog audit)
{
    /// <summary>The one answer to any failure: a wrong name, a wrong password, a locked account.</summary>
    public const string FailedMessage = "Wrong user name or password, or the account is locked (an administrator can unlock it).";

    private static readonly IdentityUser DummyUser = new("dummy");
    private static string? s_dummyHash;

    /// <summary>
    /// True when signed in (the cookie is set on the response); false with <see cref="FailedMessage"/>. Throws
    /// <see cref="ConsoleStoreUnavailableException"/> when the store cannot take the check or its audit entry: then
    /// no one is signed in.
    /// </summary>
    public async Task<bool> SignInAsync(string? userName, string? password, string where, CancellationToken cancellationToken)
    {
        var name = (userName ?? "").Trim();
        password ??= "";
        var (user, result) = await writer.WriteAsync($"check the sign-in of {AuditText.Clean(name, AuditText.MaxActor)}",
            ct => CheckAsync(name, password, ct), cancellationToken);
        if (user is null)
        {
            await audit.RecordAsync(AuditActor.User(name.Length == 0 ? "unknown" : name), "signin.failed", name, where, cancellationToken);
            return false;
        }
        if (result.Succeeded)
        {
            await audit.RecordAsync(AuditActor.User(name), "signin.succeeded", name, where, cancellationToken);
            await signIn.SignInAsync(user, isPersistent: false, authenticationMethod: "pwd");
            return true;
        }
        if (result.IsLockedOut)
        {
            // Identity answers a locked account before hashing: hash anyway, so that "locked" takes as long as "wrong".
            SpendAHash(password);
            await audit.RecordAsync(AuditActor.User(name), "signin.lockedout", name, where, cancellationToken);
            return false;
        }
        await audit.RecordAsync(AuditActor.User(name), "signin.failed", name, where, cancellationToken);
        return false;
    }

    /// <summary>
    /// One attempt at the check, in a scope of its own: a failed save leaves its context's user in an unknown state, so
    /// an attempt after it reads the user afresh and counts a wrong password once.
    /// </summary>
    private async Task<(IdentityUser? User, SignInResult Result)> CheckAsync(string name, string password, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = name.Length == 0 ? null : await users.FindByNameAsync(name);
        if (user is null)
        {
            SpendAHash(password);
            return (null, SignInResult.Failed);
        }
        var administrator = await users.IsInRoleAsync(user, ConsoleRoles.Administrator);
        var check = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        var result = await check.CheckPasswordSignInAsync(user, password, lockoutOnFailure: !administrator);
        // As PasswordSignInAsync answers: an account with a second factor is not signed in by its password alone.
        return (user, result.Succeeded && await users.GetTwoFactorEnabledAsync(user) ? SignInResult.TwoFactorRequired : result);
    }

    private void SpendAHash(string password)
    {
        var hash = s_dummyHash ??= hasher.HashPassword(DummyUser, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        hasher.VerifyHashedPassword(DummyUser, hash, password);
    }
}
