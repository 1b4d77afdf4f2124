namespace ApimConsole.Core.Configuration;

/// <summary>
/// Checks the configuration an operator wrote. Each message names the configuration key, so that a bad
/// appsettings.json stops the console with something the operator can fix at once.
/// </summary>
public static class ConsoleOptionsValidator
{
    /// <param name="estate">The bound <c>Estate</c> section (with the embedded lab's endpoints when it runs).</param>
    public static IReadOnlyList<string> Validate(EstateOptions estate)
    {
        var errors = new List<string>();
        const string root = EstateOptions.SectionName;
        if (string.IsNullOrWhiteSpace(estate.Name))
            errors.Add($"{root}:Name is required.");
        if (estate.Datacenters.Count == 0)
            errors.Add($"{root}:Datacenters must list at least one datacenter.");

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < estate.Datacenters.Count; i++)
        {
            var dc = estate.Datacenters[i];
            var key = $"{root}:Datacenters:{i}";
            if (string.IsNullOrWhiteSpace(dc.Id))
                errors.Add($"{key}:Id is required.");
            else if (!IsIdentifier(dc.Id))
                errors.Add($"{key}:Id '{dc.Id}' may contain only letters, digits, '-' and '_'.");
            else if (!seen.Add(dc.Id))
                errors.Add($"{key}:Id '{dc.Id}' is used by another datacenter.");

            if (dc.AdminNodeManager.Urls.Count == 0)
                errors.Add($"{key}:AdminNodeManager:Urls must list at least one URL.");
            for (var u = 0; u < dc.AdminNodeManager.Urls.Count; u++)
                CheckHttpUrl(errors, $"{key}:AdminNodeManager:Urls:{u}", dc.AdminNodeManager.Urls[u]);

            if (dc.Gateways.TrafficScheme is not ("http" or "https"))
                errors.Add($"{key}:Gateways:TrafficScheme must be 'http' or 'https', not '{dc.Gateways.TrafficScheme}'.");
            if (dc.Gateways.TrafficPort is < 1 or > 65535)
                errors.Add($"{key}:Gateways:TrafficPort must be between 1 and 65535, not {dc.Gateways.TrafficPort}.");

            for (var c = 0; c < dc.Cassandra.ContactPoints.Count; c++)
            {
                if (!HostPort.TryParse(dc.Cassandra.ContactPoints[c], 9042, out _))
                    errors.Add($"{key}:Cassandra:ContactPoints:{c} '{dc.Cassandra.ContactPoints[c]}' is not host or host:port.");
            }

            if (!string.IsNullOrWhiteSpace(dc.Logs.Url))
                CheckHttpUrl(errors, $"{key}:Logs:Url", dc.Logs.Url);
            if (!string.IsNullOrWhiteSpace(dc.Logs.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(dc.Logs.TimeZone, out _))
                errors.Add($"{key}:Logs:TimeZone: '{dc.Logs.TimeZone}' is not a time zone this machine knows (use an IANA id such as Europe/Berlin).");
            if (!string.IsNullOrWhiteSpace(dc.Logs.Url) && !string.IsNullOrWhiteSpace(dc.Logs.Directory))
                errors.Add($"{key}:Logs: set either Directory or Url, not both.");
        }

        if (string.IsNullOrWhiteSpace(estate.ConsoleDatacenter))
            errors.Add($"{root}:ConsoleDatacenter is required: the id of the datacenter this console runs in.");
        else if (estate.Datacenters.Count > 0 && !seen.Contains(estate.ConsoleDatacenter))
            errors.Add($"{root}:ConsoleDatacenter '{estate.ConsoleDatacenter}' is not the id of a configured datacenter ({string.Join(", ", seen)}).");

        if (!string.IsNullOrWhiteSpace(estate.SourceAddress) && !System.Net.IPAddress.TryParse(estate.SourceAddress.Trim(), out _))
            errors.Add($"{root}:SourceAddress '{estate.SourceAddress}' is not an IP address (e.g. 10.1.0.5); leave it empty to let the system choose.");

        LoadBalancerOptionsValidator.Validate(estate, errors);
        return errors;
    }

    public static IReadOnlyList<string> Validate(ProbeOptions probes)
    {
        var errors = new List<string>();
        const string root = ProbeOptions.SectionName;
        if (probes.Interval < TimeSpan.FromMilliseconds(50))
            errors.Add($"{root}:Interval must be at least 50 ms, not {probes.Interval}.");
        if (probes.FastInterval < TimeSpan.FromMilliseconds(10) || probes.FastInterval > probes.Interval)
            errors.Add($"{root}:FastInterval must be between 10 ms and Interval, not {probes.FastInterval}.");
        if (probes.Timeout < TimeSpan.FromMilliseconds(50) || probes.Timeout > TimeSpan.FromMinutes(1))
            errors.Add($"{root}:Timeout must be between 50 ms and 1 minute, not {probes.Timeout}.");
        if (probes.Fall is < 1 or > 100)
            errors.Add($"{root}:Fall must be between 1 and 100, not {probes.Fall}.");
        if (probes.Rise is < 1 or > 100)
            errors.Add($"{root}:Rise must be between 1 and 100, not {probes.Rise}.");
        return errors;
    }

    public static IReadOnlyList<string> Validate(StorageOptions storage)
    {
        var errors = new List<string>();
        const string root = StorageOptions.SectionName;
        if (string.Equals(storage.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(storage.SqlitePath))
                errors.Add($"{root}:SqlitePath is required when {root}:Provider is Sqlite.");
        }
        else if (string.Equals(storage.Provider, StorageOptions.SqlServer, StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(storage.ConnectionString))
                errors.Add($"{root}:ConnectionString is required when {root}:Provider is SqlServer.");
        }
        else
        {
            errors.Add($"{root}:Provider '{storage.Provider}' is unknown: use '{StorageOptions.Sqlite}' or '{StorageOptions.SqlServer}'.");
        }
        if (storage.BusyTimeout <= TimeSpan.Zero || storage.BusyTimeout > StorageOptions.MaxBusyTimeout)
            errors.Add($"{root}:BusyTimeout must be more than 0 and at most 5 minutes, not {storage.BusyTimeout}.");
        return errors;
    }

    internal static void CheckHttpUrl(List<string> errors, string key, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            errors.Add($"{key} '{value}' is not an absolute http(s) URL.");
    }

    private static bool IsIdentifier(string value) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
