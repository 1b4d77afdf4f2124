using System.Security.Claims;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>A local account as the users page shows it.</summary>
public sealed record ConsoleUserView(string Name, string Role, IReadOnlyList<string> Datacenters, DateTimeOffset? LockedUntil);

/// <summary>
/// The users page's operations on local accounts: create with a role and optional datacenters, change role, lock and
/// unlock. Each runs in its own scope (a circuit lives for hours; Identity's store is scoped) and is audited. Each
/// returns null on success or the problem, and changes nothing when there is one.
/// </summary>
public sealed class ConsoleUsers(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time, IOptions<EstateOptions> console)
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
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser(name);
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
            return string.Join(" ", created.Errors.Select(e => e.Description));
        await users.AddToRoleAsync(user, role);
        foreach (var dc in datacenters)
            await users.AddClaimAsync(user, new Claim(ConsoleClaims.Datacenter, dc));
        await audit.RecordAsync(actor, "user.created", name, $"role {role}" + (datacenters.Count > 0 ? $", datacenters {string.Join(",", datacenters)}" : ""), CancellationToken.None);
        return null;
    }

    public async Task<string?> ChangeRoleAsync(string name, string role, string actor)
    {
        if (!ConsoleRoles.All.Contains(role))
            return $"Role '{role}' is unknown.";
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.FindByNameAsync(name);
        if (user is null)
            return $"No user {name}.";
        var old = await users.GetRolesAsync(user);
        if (old.Contains(ConsoleRoles.Administrator) && role != ConsoleRoles.Administrator
            && (await users.GetUsersInRoleAsync(ConsoleRoles.Administrator)).Count <= 1)
            return $"{name} is the last Administrator: make someone else Administrator first.";
        await users.RemoveFromRolesAsync(user, old);
        await users.AddToRoleAsync(user, role);
        // The role is in the user's cookie: a new security stamp makes the cookie's next check reload it.
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, "user.role-changed", name, $"{string.Join(",", old)} -> {role}", CancellationToken.None);
        return null;
    }

    public async Task<string?> SetLockedAsync(string name, bool locked, string actor)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.FindByNameAsync(name);
        if (user is null)
            return $"No user {name}.";
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null);
        if (!locked)
            await users.ResetAccessFailedCountAsync(user);
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, locked ? "user.locked" : "user.unlocked", name, null, CancellationToken.None);
        return null;
    }
}
