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
/// </summary>
public sealed class ConsoleSignIn(SignInManager<IdentityUser> signIn, UserManager<IdentityUser> users, IPasswordHasher<IdentityUser> hasher, AuditLog audit)
{
    /// <summary>The one answer to any failure: a wrong name, a wrong password, a locked account.</summary>
    public const string FailedMessage = "Wrong user name or password, or the account is locked (an administrator can unlock it).";

    private static readonly IdentityUser DummyUser = new("dummy");
    private static string? s_dummyHash;

    /// <summary>True when signed in (the cookie is set on the response); false with <see cref="FailedMessage"/>.</summary>
    public async Task<bool> SignInAsync(string? userName, string? password, string where, CancellationToken cancellationToken)
    {
        var name = (userName ?? "").Trim();
        password ??= "";
        var user = name.Length == 0 ? null : await users.FindByNameAsync(name);
        if (user is null)
        {
            SpendAHash(password);
            await audit.RecordAsync(AuditActor.User(name.Length == 0 ? "unknown" : name), "signin.failed", name, where, cancellationToken);
            return false;
        }
        var administrator = await users.IsInRoleAsync(user, ConsoleRoles.Administrator);
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: !administrator);
        if (result.Succeeded)
        {
            await audit.RecordAsync(AuditActor.User(name), "signin.succeeded", name, where, cancellationToken);
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

    private void SpendAHash(string password)
    {
        var hash = s_dummyHash ??= hasher.HashPassword(DummyUser, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        hasher.VerifyHashedPassword(DummyUser, hash, password);
    }
}
