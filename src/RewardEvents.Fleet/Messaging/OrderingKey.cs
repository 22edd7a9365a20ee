using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The (endpoint, user) pair whose deliveries must go one at a time, as the partitioner's key.</summary>
internal static class OrderingKey
{
    public static Guid For(string endpointId, string userId)
    {
        // A stable 128-bit digest; MD5 is used for spreading keys, not for security.
#pragma warning disable CA5351
        return new Guid(MD5.HashData(Encoding.UTF8.GetBytes(endpointId + "\n" + userId)));
#pragma warning restore CA5351
    }
}
