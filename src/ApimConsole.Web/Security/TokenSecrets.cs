using System.Security.Cryptography;
using System.Text;

namespace ApimConsole.Web.Security;

/// <summary>Token secrets: 256 random bits, stored only as their SHA-256, compared in constant time.</summary>
public static class TokenSecrets
{
    /// <summary>Every generated secret starts with this, so a leaked one is easy to recognise in logs and scanners.</summary>
    public const string Marker = "apc_";

    /// <summary>Characters of the secret kept for display ("apc_AbCd…").</summary>
    public const int PrefixLength = 8;

    public static string Generate() => Marker + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>SHA-256 of the UTF-8 secret, lowercase hex.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Prefix(string secret) => secret.Length <= PrefixLength ? secret : secret[..PrefixLength];

    /// <summary>Compares two hex hashes without leaking where they first differ.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
