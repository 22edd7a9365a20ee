using System.Text.Json;
using RewardEvents.Fleet.Routing.Triggers;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// Validates an endpoint's settings as the API receives them: all of them on create, the ones present on
/// update (where <c>null</c> clears an optional setting). Every bad field is named, none is half-applied.
/// </summary>
internal sealed class EndpointRequest
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "url", "description", "event_types", "ordering", "retry_schedule", "trigger", "rate_limit", "headers", "enabled",
    };

    private readonly HashSet<string> _present = new(StringComparer.Ordinal);

    public Uri? Url { get; private set; }
    public string? Description { get; private set; }
    public IReadOnlyList<string> EventTypes { get; private set; } = [];
    public EndpointOrdering Ordering { get; private set; } = EndpointOrdering.PerUser;
    public string? RetrySchedule { get; private set; }
    public string? Trigger { get; private set; }
    public double? RateLimit { get; private set; }
    public string? Headers { get; private set; }
    public bool Enabled { get; private set; } = true;

    public bool Has(string field) => _present.Contains(field);

    /// <summary>A create request: <c>url</c> is required, anything absent takes its default.</summary>
    public static EndpointRequest? ParseCreate(JsonElement body, Dictionary<string, string[]> errors) => Parse(body, errors, partial: false);

    /// <summary>An update: only what is present changes; unknown members are refused so a typo is not silently ignored.</summary>
    public static EndpointRequest? ParseUpdate(JsonElement body, Dictionary<string, string[]> errors)
    {
        foreach (var member in body.EnumerateObject().Where(m => !Known.Contains(m.Name)))
        {
            errors[member.Name] = [$"Unknown field. Updatable: {string.Join(", ", Known)}."];
        }

        return Parse(body, errors, partial: true);
    }

    /// <summary>Copies what the request sets onto the endpoint.</summary>
    public void ApplyTo(WebhookEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (Has("url")) endpoint.Url = Url!.AbsoluteUri;
        if (Has("description")) endpoint.Description = Description;
        if (Has("event_types")) endpoint.EventTypes = string.Join(',', EventTypes);
        if (Has("ordering")) endpoint.Ordering = Ordering;
        if (Has("retry_schedule")) endpoint.RetrySchedule = RetrySchedule;
        if (Has("trigger")) endpoint.Trigger = Trigger;
        if (Has("rate_limit")) endpoint.RateLimit = RateLimit;
        if (Has("headers")) endpoint.Headers = Headers;
        if (Has("enabled")) endpoint.Enabled = Enabled;
    }

    private static EndpointRequest? Parse(JsonElement body, Dictionary<string, string[]> errors, bool partial)
    {
        var request = new EndpointRequest();
        bool Present(string name, out JsonElement value)
        {
            if (!body.TryGetProperty(name, out value))
            {
                return false;
            }

            request._present.Add(name);
            return true;
        }

        if (Present("url", out var urlValue) || !partial)
        {
            if (urlValue.ValueKind != JsonValueKind.String)
            {
                errors["url"] = ["Required: the absolute http or https URL to POST webhooks to."];
            }
            else if (!Uri.TryCreate(urlValue.GetString(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                || url.Host.Length == 0 || url.UserInfo.Length > 0 || url.AbsoluteUri.Length > 2048)
            {
                errors["url"] = ["Must be an absolute http or https URL without credentials, at most 2048 characters."];
            }
            else
            {
                request.Url = url;
                request._present.Add("url");
            }
        }

        if (Present("event_types", out var typesValue) && typesValue.ValueKind != JsonValueKind.Null)
        {
            request.EventTypes = EventTypesOf(typesValue, errors);
        }

        if (Present("ordering", out var orderingValue) && (partial || orderingValue.ValueKind != JsonValueKind.Null))
        {
            switch (orderingValue.ValueKind == JsonValueKind.String ? orderingValue.GetString() : null)
            {
                case "per-user":
                    break;
                case "none":
                    request.Ordering = EndpointOrdering.None;
                    break;
                default:
                    errors["ordering"] = ["Must be 'per-user' (the default) or 'none'."];
                    break;
            }
        }

        if (Present("retry_schedule", out var scheduleValue) && scheduleValue.ValueKind != JsonValueKind.Null)
        {
            if (!Workers.RetrySchedule.TryParse(scheduleValue.ValueKind == JsonValueKind.String ? scheduleValue.GetString() : null, out var parsed, out var error))
            {
                errors["retry_schedule"] = [error];
            }
            else
            {
                request.RetrySchedule = parsed.ToString();
            }
        }

        if (Present("description", out var descriptionValue) && descriptionValue.ValueKind != JsonValueKind.Null)
        {
            request.Description = descriptionValue.ValueKind == JsonValueKind.String ? descriptionValue.GetString() : null;
            if (request.Description is null || request.Description.Length > 500)
            {
                errors["description"] = ["Must be a string of at most 500 characters."];
            }
        }

        if (Present("trigger", out var triggerValue) && triggerValue.ValueKind != JsonValueKind.Null
            && TriggerParser.Parse(triggerValue, errors) is not null)
        {
            request.Trigger = triggerValue.GetRawText();
        }

        if (Present("rate_limit", out var rateValue) && rateValue.ValueKind != JsonValueKind.Null)
        {
            if (rateValue.ValueKind != JsonValueKind.Number || !rateValue.TryGetDouble(out var rate) || rate is < 0.01 or > 10_000)
            {
                errors["rate_limit"] = ["Must be a number of deliveries per second between 0.01 and 10000, or null for no limit."];
            }
            else
            {
                request.RateLimit = rate;
            }
        }

        if (Present("headers", out var headersValue) && headersValue.ValueKind != JsonValueKind.Null)
        {
            request.Headers = EndpointHeaders.Parse(headersValue, errors);
        }

        if (Present("enabled", out var enabledValue) && (partial || enabledValue.ValueKind != JsonValueKind.Null))
        {
            if (enabledValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                errors["enabled"] = ["Must be true or false."];
            }
            else
            {
                request.Enabled = enabledValue.GetBoolean();
            }
        }

        return errors.Count == 0 ? request : null;
    }

    private static List<string> EventTypesOf(JsonElement value, Dictionary<string, string[]> errors)
    {
        var types = new List<string>();
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors["event_types"] = ["Must be an array of event types; empty means every type."];
            return types;
        }

        foreach (var item in value.EnumerateArray())
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

        return types;
    }
}
