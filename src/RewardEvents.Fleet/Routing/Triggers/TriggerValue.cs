using System.Globalization;

namespace RewardEvents.Fleet.Routing.Triggers;

/// <summary>A field's value or a literal of a trigger: text, or a number compared as a decimal.</summary>
internal readonly record struct TriggerValue(string Text, decimal? Number)
{
    public static TriggerValue Of(string text) =>
        new(text, decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var n) ? n : null);

    public static TriggerValue Of(decimal number) => new(number.ToString(CultureInfo.InvariantCulture), number);

    /// <summary>A literal written as a JSON string: compared as text even when it looks like a number.</summary>
    public static TriggerValue Literal(string text) => new(text, null);

    /// <summary>Against a number literal, numbers compare by value (500 equals 500.00); otherwise as ordinal text.</summary>
    public bool SameAs(TriggerValue literal) =>
        literal.Number is { } expected ? Number == expected : string.Equals(Text, literal.Text, StringComparison.Ordinal);
}
