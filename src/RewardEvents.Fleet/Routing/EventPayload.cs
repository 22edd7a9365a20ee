using System.Globalization;
using System.Text.Json;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Routing;

/// <summary>Writes the JSON body receivers get: the event in the ingest API's snake_case shape plus its sequence.</summary>
public static class EventPayload
{
    /// <summary>The body of a reward event; a test event also says <c>"test": true</c>.</summary>
    public static string For(RewardEvent message, long sequence, bool test = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Write(json =>
        {
            json.WriteString("event", EventTypes.Of(message));
            json.WriteString("event_id", message.EventId);
            json.WriteString("user_id", message.UserId);
            json.WriteString("reward_id", message.RewardId);
            json.WriteNumber("amount", message.Amount);
            json.WriteString("currency", message.Currency);
            json.WriteString("status", message.Status);
            json.WriteString("timestamp", Timestamp(message.OccurredAt));
            WriteMap(json, "metadata", message.Metadata);
            json.WriteNumber("sequence", sequence);
            WriteTest(json, test);
        });
    }

    /// <summary>The body of an operational event: its type, id, time, details and sequence.</summary>
    public static string For(FleetEventRaised message, long sequence, bool test = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Write(json =>
        {
            json.WriteString("event", message.EventType);
            json.WriteString("event_id", message.EventId);
            json.WriteString("endpoint_id", message.EndpointId);
            json.WriteString("timestamp", Timestamp(message.OccurredAt));
            WriteMap(json, "data", message.Data);
            json.WriteNumber("sequence", sequence);
            WriteTest(json, test);
        });
    }

    private static void WriteTest(Utf8JsonWriter json, bool test)
    {
        if (test)
        {
            json.WriteBoolean("test", true);
        }
    }

    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);

    private static void WriteMap(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is not { Count: > 0 })
        {
            return;
        }

        json.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
