using System.Text.Json;
using RewardEvents.Fleet.Routing;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>Validates an endpoint's settings as the API receives them.</summary>
internal sealed record EndpointRequest(Uri Url, string? Description, IReadOnlyList<string> EventTypes, EndpointOrdering Ordering, string? RetrySchedule)
{
    public static EndpointRequest? Parse(JsonElement body, Dictionary<string, string[]> errors)
    {
        Uri? url = null;
        if (!body.TryGetProperty("url", out var urlValue) || urlValue.ValueKind != JsonValueKind.String)
        {
            errors["url"] = ["Required: the absolute http or https URL to POST webhooks to."];
        }
        else if (!Uri.TryCreate(urlValue.GetString(), UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || url.Host.Length == 0 || url.UserInfo.Length > 0)
        {
            errors["url"] = ["Must be an absolute http or https URL without credentials."];
            url = null;
        }

        var types = new List<string>();
        if (body.TryGetProperty("event_types", out var typesValue) && typesValue.ValueKind != JsonValueKind.Null)
        {
            if (typesValue.ValueKind != JsonValueKind.Array)
            {
                errors["event_types"] = ["Must be an array of event types; empty means every type."];
            }
            else
            {
                foreach (var item in typesValue.EnumerateArray())
                {
                    var type = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
                    if (!Routing.EventTypes.Subscribable.Contains(type))
                    {
                        errors["event_types"] = [$"Unknown event type '{item}'. Known: {string.Join(", ", Routing.EventTypes.Subscribable.Order(StringComparer.Ordinal))}."];
                        break;
                    }

                    if (!types.Contains(type))
                    {
                        types.Add(type);
                    }
                }
            }
        }

        var ordering = EndpointOrdering.PerUser;
        if (body.TryGetProperty("ordering", out var orderingValue) && orderingValue.ValueKind != JsonValueKind.Null)
        {
            switch (orderingValue.ValueKind == JsonValueKind.String ? orderingValue.GetString() : null)
            {
                case "per-user":
                    break;
                case "none":
                    ordering = EndpointOrdering.None;
                    break;
                default:
                    errors["ordering"] = ["Must be 'per-user' (the default) or 'none'."];
                    break;
            }
        }

        string? schedule = null;
        if (body.TryGetProperty("retry_schedule", out var scheduleValue) && scheduleValue.ValueKind != JsonValueKind.Null)
        {
            if (!Workers.RetrySchedule.TryParse(scheduleValue.ValueKind == JsonValueKind.String ? scheduleValue.GetString() : null, out var parsed, out var error))
            {
                errors["retry_schedule"] = [error];
            }
            else
            {
                schedule = parsed.ToString();
            }
        }

        string? description = null;
        if (body.TryGetProperty("description", out var descriptionValue) && descriptionValue.ValueKind != JsonValueKind.Null)
        {
            description = descriptionValue.ValueKind == JsonValueKind.String ? descriptionValue.GetString() : null;
            if (description is null || description.Length > 500)
            {
                errors["description"] = ["Must be a string of at most 500 characters."];
            }
        }

        return errors.Count == 0 ? new EndpointRequest(url!, description, types, ordering, schedule) : null;
    }
}
