using System.Collections.Concurrent;

namespace RewardEvents.Fleet.Routing.Triggers;

/// <summary>
/// An endpoint's trigger: a small JSON expression over an event's fields (<c>all</c>, <c>any</c>,
/// <c>not</c> and conditions such as <c>{"field":"amount","op":"&gt;=","value":1000}</c>). Data only:
/// nothing in it is ever executed.
/// </summary>
internal abstract record Trigger
{
    private static readonly ConcurrentDictionary<string, Trigger> Parsed = new(StringComparer.Ordinal);

    public abstract bool Matches(TriggerSubject subject);

    /// <summary>Whether a stored trigger (validated when it was saved) lets the event through; null lets everything through.</summary>
    public static bool Allows(string? stored, TriggerSubject subject)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return true;
        }

        var trigger = Parsed.GetOrAdd(stored, static text =>
            TriggerParser.Parse(text, new Dictionary<string, string[]>(StringComparer.Ordinal)) ?? Never.Instance);
        return trigger.Matches(subject);
    }

    /// <summary>What an unreadable stored trigger becomes: it matches nothing rather than everything.</summary>
    private sealed record Never : Trigger
    {
        public static readonly Never Instance = new();

        public override bool Matches(TriggerSubject subject) => false;
    }
}

internal sealed record AllTrigger(IReadOnlyList<Trigger> Parts) : Trigger
{
    public override bool Matches(TriggerSubject subject) => Parts.All(p => p.Matches(subject));
}

internal sealed record AnyTrigger(IReadOnlyList<Trigger> Parts) : Trigger
{
    public override bool Matches(TriggerSubject subject) => Parts.Any(p => p.Matches(subject));
}

internal sealed record NotTrigger(Trigger Part) : Trigger
{
    public override bool Matches(TriggerSubject subject) => !Part.Matches(subject);
}
