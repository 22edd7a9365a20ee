using System.Globalization;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Routing.Triggers;

/// <summary>The fields of one event as a trigger sees them: the receiver's snake_case names plus <c>metadata.&lt;key&gt;</c>.</summary>
internal sealed class TriggerSubject
{
    /// <summary>Field names a trigger may use besides <c>metadata.&lt;key&gt;</c>.</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "event", "event_id", "user_id", "reward_id", "amount", "currency", "status", "timestamp", "endpoint_id",
    };

    public const string MetadataPrefix = "metadata.";

    private readonly Dictionary<string, TriggerValue> _fields;
    private readonly IReadOnlyDictionary<string, string>? _metadata;

    private TriggerSubject(Dictionary<string, TriggerValue> fields, IReadOnlyDictionary<string, string>? metadata)
    {
        _fields = fields;
        _metadata = metadata;
    }

    public static TriggerSubject For(RewardEvent message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(new Dictionary<string, TriggerValue>(StringComparer.Ordinal)
        {
            ["event"] = TriggerValue.Of(EventTypes.Of(message)),
            ["event_id"] = TriggerValue.Of(message.EventId),
            ["user_id"] = TriggerValue.Of(message.UserId),
            ["reward_id"] = TriggerValue.Of(message.RewardId),
            ["amount"] = TriggerValue.Of(message.Amount),
            ["currency"] = TriggerValue.Of(message.Currency),
            ["status"] = TriggerValue.Of(message.Status),
            ["timestamp"] = TriggerValue.Of(Timestamp(message.OccurredAt)),
        }, message.Metadata);
    }

    /// <summary>An operational event: its type, id, endpoint and time; its details answer <c>metadata.&lt;key&gt;</c>.</summary>
    public static TriggerSubject For(FleetEventRaised message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(new Dictionary<string, TriggerValue>(StringComparer.Ordinal)
        {
            ["event"] = TriggerValue.Of(message.EventType),
            ["event_id"] = TriggerValue.Of(message.EventId),
            ["endpoint_id"] = TriggerValue.Of(message.EndpointId),
            ["timestamp"] = TriggerValue.Of(Timestamp(message.OccurredAt)),
        }, message.Data);
    }

    public bool TryGet(string field, out TriggerValue value)
    {
        if (field.StartsWith(MetadataPrefix, StringComparison.Ordinal))
        {
            if (_metadata is not null && _metadata.TryGetValue(field[MetadataPrefix.Length..], out var text))
            {
                value = TriggerValue.Of(text);
                return true;
            }

            value = default;
            return false;
        }

        return _fields.TryGetValue(field, out value);
    }

    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);
}
