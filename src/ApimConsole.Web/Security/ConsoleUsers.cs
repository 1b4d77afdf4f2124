using System.Security.Claims;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>A local account as the users page shows it.</summary>
public sealed record ConsoleUserView(string Name, string Role, IReadOnlyList<string> Datacenters, DateTimeOffset? LockedUntil);

/// <summary>
/// The users page's operations on local accounts: create with a role and optional datacenters, change role, lock and
/// unlock. Each returns null on success or the problem, and changes nothing when there is one.
/// </summary>
/// <remarks>
/// Each change and its audit entry are one transaction (<see cref="AuditedAsync"/>): Identity's store saves through
/// the scoped <see cref="ConsoleDbContext"/>, so the transaction is begun on that context and the entry staged on it.
/// A store that refuses the entry leaves no user, role or lock behind: nothing is done unaudited.
/// </remarks>
public sealed class ConsoleUsers(IServiceScopeFactory scopes, StoreWriter writer, AuditLog audit, TimeProvider time, IOptions<EstateOptions> console)
{
    public async Task<IReadOnlyList<ConsoleUserView>> ListAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var list = new List<ConsoleUserView>();
        foreach (var user in users.Users.OrderBy(u => u.UserName).ToList())
        {
            var roles = await users.GetRolesAsync(user);
            var claims = await users.GetClaimsAsync(user);
            var locked = user.LockoutEnd is { } end && end > time.GetUtcNow() ? end : (DateTimeOffset?)null;
            list.Add(new ConsoleUserView(user.UserName!, roles.FirstOrDefault() ?? "(none)",
                claims.Where(c => c.Type == ConsoleClaims.Datacenter).Select(c => c.Value).ToList(), locked));
        }
        return list;
    }

    public async Task<string?> CreateAsync(string name, string password, string role, IReadOnlyList<string> datacenters, string actor)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
            return "A user name of 1 to 100 characters is required.";
        if (name.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
            return "A user name may not hold control or formatting characters.";
        if (ApimConsole.Storage.Records.AuditActor.IsReservedUserName(name))
            return $"'{name}' is reserved: a user name may not be 'system' or start with 'token:'.";
        if (!ConsoleRoles.All.Contains(role))
            return $"Role '{role}' is unknown: use {string.Join(", ", ConsoleRoles.All)}.";
        var known = console.Value.Datacenters.Select(d => d.Id).ToList();
        var unknown = datacenters.Where(d => !known.Contains(d)).ToList();
        if (unknown.Count > 0)
            return $"Unknown datacenter {string.Join(", ", unknown)}: the estate has {string.Join(", ", known)}.";
        return await AuditedAsync($"user.created {name}", async (users, db) =>
        {
            var user = new IdentityUser(name);
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded)
                return string.Join(" ", created.Errors.Select(e => e.Description));
            if (Problem(await users.AddToRoleAsync(user, role)) is { } roleProblem)
                return roleProblem;
            foreach (var dc in datacenters)
                if (Problem(await users.AddClaimAsync(user, new Claim(ConsoleClaims.Datacenter, dc))) is { } claimProblem)
                    return claimProblem;
            audit.Add(db, actor, "user.created", name, $"role {role}" + (datacenters.Count > 0 ? $", datacenters {string.Join(",", datacenters)}" : ""));
            return null;
        });
    }

    public async Task<string?> ChangeRoleAsync(string name, string role, string actor)
    {
        if (!ConsoleRoles.All.Contains(role))
            return $"Role '{role}' is unknown.";
        return await AuditedAsync($"user.role-changed {name}", async (users, db) =>
        {
            var user = await users.FindByNameAsync(name);
            if (user is null)
                return $"No user {name}.";
            var old = await users.GetRolesAsync(user);
            if (old.Contains(ConsoleRoles.Administrator) && role != ConsoleRoles.Administrator
                && (await users.GetUsersInRoleAsync(ConsoleRoles.Administrator)).Count <= 1)
                return $"{name} is the last Administrator: make someone else Administrator first.";
            var problem = Problem(await users.RemoveFromRolesAsync(user, old))
                ?? Problem(await users.AddToRoleAsync(user, role))
                // The role is in the user's cookie: a new security stamp makes the cookie's next check reload it.
                ?? Problem(await users.UpdateSecurityStampAsync(user));
            if (problem is not null)
                return problem;
            audit.Add(db, actor, "user.role-changed", name, $"{string.Join(",", old)} -> {role}");
            return null;
        });
    }

    public Task<string?> SetLockedAsync(string name, bool locked, string actor) =>
        AuditedAsync($"{(locked ? "user.locked" : "user.unlocked")} {name}", async (users, db) =>
        {
            var user = await users.FindByNameAsync(name);
            if (user is null)
                return $"No user {name}.";
            var problem = Problem(await users.SetLockoutEnabledAsync(user, true))
                ?? Problem(await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null))
                ?? (locked ? null : Problem(await users.ResetAccessFailedCountAsync(user)))
                ?? Problem(await users.UpdateSecurityStampAsync(user));
            if (problem is not null)
                return problem;
            audit.Add(db, actor, locked ? "user.locked" : "user.unlocked", name, null);
            return null;
        });

    /// <summary>
    /// Changes the signed-in local user's password (its security stamp moves with it): null, or the problem (a wrong
    /// current password, a new one the rules refuse, no local account).
    /// </summary>
    public Task<string?> ChangePasswordAsync(ClaimsPrincipal principal, string current, string next) =>
        AuditedAsync("user.password-changed", async (users, db) =>
        {
            var user = await users.GetUserAsync(principal);
            if (user is null)
                return "Only a local account has a password here (tokens and single sign-on do not).";
            if (Problem(await users.ChangePasswordAsync(user, current, next)) is { } problem)
                return problem;
            audit.Add(db, user.UserName!, "user.password-changed", user.UserName!, null);
            return null;
        });

    /// <summary>
    /// Records a sign-out of <paramref name="principal"/>, and for a local account (<paramref name="localAccount"/>)
    /// moves its security stamp: a copy of the cookie must not outlive the sign-out, so every sign-in cookie and live
    /// page of the user ends, here and on consoles sharing the store, within <c>Auth:RevocationCheckInterval</c>. One
    /// unit, retried; <see cref="ConsoleStoreUnavailableException"/> when the store cannot take it.
    /// </summary>
    public Task SignOutAsync(ClaimsPrincipal principal, string actor, bool localAccount) =>
        AuditedAsync($"signout {actor}", async (users, db) =>
        {
            if (localAccount && await users.GetUserAsync(principal) is { } user)
                await users.UpdateSecurityStampAsync(user);
            audit.Add(db, actor, "signout", actor, null);
            return null;
        });

    /// <summary>
    /// Runs <paramref name="change"/> with a fresh scope's user manager inside one transaction on the context Identity
    /// saves through, and commits only when it returns no problem (its audit entry staged on that context). A store
    /// failure retries the whole unit (<see cref="StoreWriter"/>), then throws <see cref="ConsoleStoreUnavailableException"/>.
    /// </summary>
    private Task<string?> AuditedAsync(string what, Func<UserManager<IdentityUser>, ConsoleDbContext, Task<string?>> change) =>
        writer.WriteAsync(what, async ct =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ConsoleDbContext>();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var problem = await change(users, db);
            if (problem is not null)
                return problem;   // rolled back when the transaction is disposed
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return null;
        }, CancellationToken.None);

    private static string? Problem(IdentityResult result) =>
        result.Succeeded ? null : string.Join(" ", result.Errors.Select(e => e.Description));
}
