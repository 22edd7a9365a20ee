using System.Globalization;
using RewardEvents.Contracts;

namespace RewardEvents.Benchmarks;

/// <summary>The reward events and webhook bodies every stage sends, so all stages move the same bytes.</summary>
public static class SampleEvents
{
    public static RewardRedeemed Redeemed(int index, int users) => new()
    {
        EventId = $"evt_{Guid.NewGuid():N}",
        UserId = $"user_{index % users:D5}",
        RewardId = $"reward_{index % 97:D3}",
        Amount = 12.50m + (index % 10),
        Currency = "EUR",
        Status = "redeemed",
        // The receiver reads the publish time back from the body's "timestamp".
        OccurredAt = DateTimeOffset.UtcNow,
    };

    /// <summary>A webhook body shaped like the fleet's (snake_case, with sequence), for the ceilings.</summary>
    public static byte[] WebhookBody(int index, int users) => WebhookBody(Redeemed(index, users), index + 1);

    public static byte[] WebhookBody(RewardRedeemed e, long sequence)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var buffer = new MemoryStream(320);
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", "reward.redeemed");
            json.WriteString("event_id", e.EventId);
            json.WriteString("user_id", e.UserId);
            json.WriteString("reward_id", e.RewardId);
            json.WriteNumber("amount", e.Amount);
            json.WriteString("currency", e.Currency);
            json.WriteString("status", e.Status);
            json.WriteString("timestamp", e.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteNumber("sequence", sequence);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
