namespace RewardEvents.Fleet.Routing.Triggers;

/// <summary>One test of one field: <c>{"field":"currency","op":"==","value":"INR"}</c>.</summary>
internal sealed record Condition(string Field, string Op, IReadOnlyList<TriggerValue> Values) : Trigger
{
    /// <summary>Every operator, as written in a trigger.</summary>
    public static readonly IReadOnlyList<string> Operators =
        ["==", "!=", ">", ">=", "<", "<=", "in", "not_in", "starts_with", "ends_with", "contains", "exists"];

    public override bool Matches(TriggerSubject subject)
    {
        if (!subject.TryGet(Field, out var actual))
        {
            // A missing field satisfies nothing but a negation: "!=" and "not_in" on it are false too.
            return false;
        }

        return Op switch
        {
            "exists" => true,
            "==" => actual.SameAs(Values[0]),
            "!=" => !actual.SameAs(Values[0]),
            "in" => Values.Any(actual.SameAs),
            "not_in" => !Values.Any(actual.SameAs),
            ">" => actual.Number > Values[0].Number,
            ">=" => actual.Number >= Values[0].Number,
            "<" => actual.Number < Values[0].Number,
            "<=" => actual.Number <= Values[0].Number,
            "starts_with" => actual.Text.StartsWith(Values[0].Text, StringComparison.Ordinal),
            "ends_with" => actual.Text.EndsWith(Values[0].Text, StringComparison.Ordinal),
            "contains" => actual.Text.Contains(Values[0].Text, StringComparison.Ordinal),
            _ => false,
        };
    }
}
