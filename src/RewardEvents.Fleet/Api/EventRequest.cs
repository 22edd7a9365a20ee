using System.Globalization;
using System.Text.Json;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing;

namespace RewardEvents.Fleet.Api;

/// <summary>Validates the ingest API's snake_case event and turns it into the matching contract.</summary>
internal static class EventRequest
{
    public static RewardEvent? Parse(JsonElement body, Dictionary<string, string[]> errors)
    {
        var type = RequiredString(body, "event", errors);
        if (type is not null && !EventTypes.Ingestible.Contains(type))
        {
            errors["event"] = [$"Unknown event type '{type}'. Accepted: {string.Join(", ", EventTypes.Ingestible.Order(StringComparer.Ordinal))}."];
        }

        var eventId = RequiredString(body, "event_id", errors, maxLength: 200);
        var userId = RequiredString(body, "user_id", errors, maxLength: 200);
        var timestamp = RequiredTimestamp(body, "timestamp", errors);
        var rewardId = RequiredString(body, "reward_id", errors, maxLength: 200);
        var amount = RequiredAmount(body, "amount", errors);
        var currency = RequiredString(body, "currency", errors);
        if (currency is not null && (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper)))
        {
            errors["currency"] = ["Must be an ISO 4217 code: three upper-case letters, e.g. 'INR'."];
        }

        var status = RequiredString(body, "status", errors, maxLength: 50);
        var metadata = OptionalMap(body, "metadata", errors);
        if (errors.Count > 0)
        {
            return null;
        }

        RewardEvent message = type switch
        {
            EventTypes.RewardRedeemed => new RewardRedeemed
            {
                EventId = eventId!, UserId = userId!, RewardId = rewardId!, Amount = amount!.Value,
                Currency = currency!, Status = status!, OccurredAt = timestamp!.Value, Metadata = metadata,
            },
            EventTypes.RewardRedemptionFailed => new RewardRedemptionFailed
            {
                EventId = eventId!, UserId = userId!, RewardId = rewardId!, Amount = amount!.Value,
                Currency = currency!, Status = status!, OccurredAt = timestamp!.Value, Metadata = metadata,
            },
            _ => new RewardRedemptionReversed
            {
                EventId = eventId!, UserId = userId!, RewardId = rewardId!, Amount = amount!.Value,
                Currency = currency!, Status = status!, OccurredAt = timestamp!.Value, Metadata = metadata,
            },
        };
        return message;
    }

    private static string? RequiredString(JsonElement body, string name, Dictionary<string, string[]> errors, int maxLength = 100)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = ["Required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = [$"Must be a string, not {Kind(value)}."];
            return null;
        }

        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[name] = ["Must not be empty."];
            return null;
        }

        if (text.Length > maxLength)
        {
            errors[name] = [$"Must be at most {maxLength} characters."];
            return null;
        }

        return text;
    }

    private static DateTimeOffset? RequiredTimestamp(JsonElement body, string name, Dictionary<string, string[]> errors)
    {
        var text = RequiredString(body, name, errors);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            errors[name] = ["Must be an ISO 8601 date and time, e.g. '2026-05-05T10:00:00Z'."];
            return null;
        }

        return value;
    }

    private static decimal? RequiredAmount(JsonElement body, string name, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = ["Required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var amount))
        {
            errors[name] = [$"Must be a number, not {Kind(value)}."];
            return null;
        }

        if (amount < 0)
        {
            errors[name] = ["Must not be negative."];
            return null;
        }

        return amount;
    }

    private static Dictionary<string, string>? OptionalMap(JsonElement body, string name, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors[name] = [$"Must be an object of string values, not {Kind(value)}."];
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                errors[$"{name}.{property.Name}"] = ["Must be a string."];
                continue;
            }

            map[property.Name] = property.Value.GetString()!;
        }

        return map;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
