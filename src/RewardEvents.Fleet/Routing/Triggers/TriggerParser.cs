using System.Text.Json;

namespace RewardEvents.Fleet.Routing.Triggers;

/// <summary>
/// Reads and validates a trigger, naming each bad part by its path (<c>trigger.all[1].op</c>), within
/// fixed bounds on size, depth and list lengths so a trigger stays cheap to evaluate on every event.
/// </summary>
internal static class TriggerParser
{
    public const int MaxChars = 8000;
    public const int MaxDepth = 6;
    public const int MaxConditions = 50;
    public const int MaxListValues = 100;
    public const int MaxStringLength = 256;

    private static readonly HashSet<string> NumericOps = new(StringComparer.Ordinal) { ">", ">=", "<", "<=" };
    private static readonly HashSet<string> TextOps = new(StringComparer.Ordinal) { "starts_with", "ends_with", "contains" };

    /// <summary>Parses a stored or submitted trigger; on failure adds errors keyed by path and returns null.</summary>
    public static Trigger? Parse(string text, Dictionary<string, string[]> errors, string path = "trigger")
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            using var document = JsonDocument.Parse(text);
            return Parse(document.RootElement, errors, path);
        }
        catch (JsonException)
        {
            errors[path] = ["Must be a JSON object."];
            return null;
        }
    }

    public static Trigger? Parse(JsonElement element, Dictionary<string, string[]> errors, string path = "trigger")
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (element.GetRawText().Length > MaxChars)
        {
            errors[path] = [$"A trigger is at most {MaxChars} characters of JSON."];
            return null;
        }

        var before = errors.Count;
        var conditions = 0;
        var trigger = Node(element, path, 1, errors, ref conditions);
        if (conditions > MaxConditions)
        {
            errors[path] = [$"A trigger has at most {MaxConditions} conditions; this one has {conditions}."];
        }

        return errors.Count == before ? trigger : null;
    }

    private static Trigger? Node(JsonElement element, string path, int depth, Dictionary<string, string[]> errors, ref int conditions)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors[path] = ["Must be an object: {\"all\":[…]}, {\"any\":[…]}, {\"not\":{…}} or {\"field\":…,\"op\":…,\"value\":…}."];
            return null;
        }

        if (depth > MaxDepth)
        {
            errors[path] = [$"Triggers nest at most {MaxDepth} levels deep."];
            return null;
        }

        var names = element.EnumerateObject().Select(p => p.Name).ToList();
        if (names.Contains("all") || names.Contains("any"))
        {
            var key = names.Contains("all") ? "all" : "any";
            if (names.Count != 1)
            {
                errors[path] = [$"A '{key}' object has no other members (found {string.Join(", ", names.Where(n => n != key).Select(n => $"'{n}'"))})."];
                return null;
            }

            var list = element.GetProperty(key);
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                errors[$"{path}.{key}"] = ["Must be a non-empty array of triggers."];
                return null;
            }

            var parts = new List<Trigger>();
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var part = Node(item, $"{path}.{key}[{index++}]", depth + 1, errors, ref conditions);
                if (part is not null)
                {
                    parts.Add(part);
                }
            }

            return parts.Count == index ? key == "all" ? new AllTrigger(parts) : new AnyTrigger(parts) : null;
        }

        if (names.Contains("not"))
        {
            if (names.Count != 1)
            {
                errors[path] = ["A 'not' object has no other members."];
                return null;
            }

            var part = Node(element.GetProperty("not"), $"{path}.not", depth + 1, errors, ref conditions);
            return part is null ? null : new NotTrigger(part);
        }

        conditions++;
        return ConditionOf(element, names, path, errors);
    }

    private static Condition? ConditionOf(JsonElement element, List<string> names, string path, Dictionary<string, string[]> errors)
    {
        var before = errors.Count;
        foreach (var unknown in names.Where(n => n is not ("field" or "op" or "value")))
        {
            errors[$"{path}.{unknown}"] = ["Unknown member: a condition has 'field', 'op' and (except for 'exists') 'value'; groups use 'all', 'any' or 'not'."];
        }

        string? field = null;
        if (!element.TryGetProperty("field", out var fieldValue) || fieldValue.ValueKind != JsonValueKind.String)
        {
            errors[$"{path}.field"] = ["Required: the event field to test, e.g. 'amount' or 'metadata.channel'."];
        }
        else
        {
            field = fieldValue.GetString()!;
            var isMetadata = field.StartsWith(TriggerSubject.MetadataPrefix, StringComparison.Ordinal)
                && field.Length > TriggerSubject.MetadataPrefix.Length && field.Length <= MaxStringLength;
            if (!isMetadata && !TriggerSubject.Fields.Contains(field))
            {
                errors[$"{path}.field"] = [$"Unknown field '{Shorten(field)}'. Known: {string.Join(", ", TriggerSubject.Fields.Order(StringComparer.Ordinal))}, metadata.<key>."];
            }
        }

        string? op = null;
        if (!element.TryGetProperty("op", out var opValue) || opValue.ValueKind != JsonValueKind.String
            || !Condition.Operators.Contains(opValue.GetString()!))
        {
            errors[$"{path}.op"] = [$"Must be one of {string.Join(", ", Condition.Operators)}."];
        }
        else
        {
            op = opValue.GetString()!;
        }

        var values = op is null ? [] : ValuesOf(element, op, $"{path}.value", errors);
        return errors.Count == before ? new Condition(field!, op!, values) : null;
    }

    private static List<TriggerValue> ValuesOf(JsonElement element, string op, string path, Dictionary<string, string[]> errors)
    {
        var hasValue = element.TryGetProperty("value", out var value);
        if (op == "exists")
        {
            if (hasValue)
            {
                errors[path] = ["'exists' takes no value."];
            }

            return [];
        }

        if (!hasValue)
        {
            errors[path] = [$"Required for '{op}'."];
            return [];
        }

        if (op is "in" or "not_in")
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxListValues)
            {
                errors[path] = [$"'{op}' takes an array of 1 to {MaxListValues} strings or numbers."];
                return [];
            }

            var list = new List<TriggerValue>();
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (LiteralOf(item, $"{path}[{index++}]", errors) is { } literal)
                {
                    list.Add(literal);
                }
            }

            return list;
        }

        if (NumericOps.Contains(op) && value.ValueKind != JsonValueKind.Number)
        {
            errors[path] = [$"'{op}' compares numbers: the value must be a JSON number."];
            return [];
        }

        if (TextOps.Contains(op) && value.ValueKind != JsonValueKind.String)
        {
            errors[path] = [$"'{op}' compares text: the value must be a string."];
            return [];
        }

        return LiteralOf(value, path, errors) is { } single ? [single] : [];
    }

    private static TriggerValue? LiteralOf(JsonElement value, string path, Dictionary<string, string[]> errors)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String when value.GetString()!.Length <= MaxStringLength:
                return TriggerValue.Literal(value.GetString()!);
            case JsonValueKind.Number when value.TryGetDecimal(out var number):
                return TriggerValue.Of(number);
            default:
                errors[path] = [$"Must be a string of at most {MaxStringLength} characters or a number."];
                return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
