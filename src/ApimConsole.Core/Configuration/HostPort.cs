namespace ApimConsole.Core.Configuration;

/// <summary>A <c>host:port</c> pair as written in configuration (IPv6 in brackets: <c>[::1]:9042</c>).</summary>
public readonly record struct HostPort(string Host, int Port)
{
    public static bool TryParse(string? text, int defaultPort, out HostPort result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        string host;
        var port = defaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 2)
                return false;
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !int.TryParse(rest[1..], out port)))
                return false;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') != colon)
                return false; // bare IPv6 must be bracketed
            host = colon >= 0 ? text[..colon] : text;
            if (colon >= 0 && !int.TryParse(text[(colon + 1)..], out port))
                return false;
        }
        if (host.Length == 0 || port is < 1 or > 65535 || host.Any(char.IsWhiteSpace))
            return false;
        result = new HostPort(host, port);
        return true;
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
