using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Fleet.Api;

/// <summary>Makes API keys and the hashes they are stored and looked up by.</summary>
internal static class ApiKeySecret
{
    public const string Prefix = "rk_";

    /// <summary>A new key: 256 random bits, hex-encoded after a recognisable prefix.</summary>
    public static string Generate() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Plain SHA-256, not a slow password hash: our keys carry 256 random bits, so there is nothing to
    /// guess and no dictionary to defend against, while a fast deterministic hash lets a request find its
    /// key with one indexed lookup. A stolen table of hashes does not give back any key.
    /// </summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string HashHex(string key) => Convert.ToHexStringLower(Hash(key));
}
