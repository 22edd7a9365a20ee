using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing.Triggers;

namespace RewardEvents.UnitTests.Fleet;

public sealed class TriggerTests
{
    private static readonly RewardEvent Big = new RewardRedeemed
    {
        EventId = "evt_1", UserId = "user_1", RewardId = "gift_42", Amount = 1500m, Currency = "INR", Status = "success",
        OccurredAt = DateTimeOffset.Parse("2026-05-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        Metadata = new Dictionary<string, string> { ["channel"] = "app", ["tier"] = "3" },
    };

    private static readonly RewardEvent Small = new RewardRedemptionFailed
    {
        EventId = "evt_2", UserId = "user_2", RewardId = "reward_7", Amount = 999.99m, Currency = "USD", Status = "failed",
        OccurredAt = DateTimeOffset.Parse("2026-05-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static TheoryData<string, bool, bool> Table => new()
    {
        { """{"all":[{"field":"amount","op":">=","value":1000},{"field":"currency","op":"==","value":"INR"}]}""", true, false },
        { """{"field":"status","op":"in","value":["failed","reversed"]}""", false, true },
        { """{"field":"status","op":"not_in","value":["failed","reversed"]}""", true, false },
        { """{"field":"reward_id","op":"starts_with","value":"gift_"}""", true, false },
        { """{"field":"metadata.channel","op":"exists"}""", true, false },
        { """{"not":{"field":"metadata.channel","op":"exists"}}""", false, true },
        { """{"any":[{"field":"amount","op":"<","value":1000},{"field":"metadata.channel","op":"==","value":"web"}]}""", false, true },
        { """{"field":"amount","op":"==","value":1500.00}""", true, false },
        { """{"field":"amount","op":"<=","value":999.99}""", false, true },
        { """{"field":"amount","op":">","value":999.98}""", true, true },
        { """{"field":"amount","op":"==","value":"1500.00"}""", false, false },
        { """{"field":"metadata.tier","op":">","value":2}""", true, false },
        { """{"field":"currency","op":"!=","value":"INR"}""", false, true },
        { """{"field":"event","op":"==","value":"reward.redemption_failed"}""", false, true },
        { """{"field":"user_id","op":"ends_with","value":"_2"}""", false, true },
        { """{"field":"reward_id","op":"contains","value":"ward"}""", false, true },
        { """{"field":"currency","op":">","value":1}""", false, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void A_trigger_matches_the_events_it_describes_and_no_others(string trigger, bool big, bool small)
    {
        Assert.Equal(big, Trigger.Allows(trigger, TriggerSubject.For(Big)));
        Assert.Equal(small, Trigger.Allows(trigger, TriggerSubject.For(Small)));
    }

    [Fact]
    public void No_trigger_lets_every_event_through() => Assert.True(Trigger.Allows(null, TriggerSubject.For(Small)));

    [Theory]
    [InlineData("""{"all":[{"field":"amount","op":">=","value":1},{"field":"currency","op":"~","value":"INR"}]}""", "trigger.all[1].op")]
    [InlineData("""{"field":"colour","op":"==","value":"red"}""", "trigger.field")]
    [InlineData("""{"field":"amount","op":">=","value":"lots"}""", "trigger.value")]
    [InlineData("""{"field":"status","op":"in","value":"failed"}""", "trigger.value")]
    [InlineData("""{"field":"status","op":"in","value":["failed",{"x":1}]}""", "trigger.value[1]")]
    [InlineData("""{"field":"metadata.channel","op":"exists","value":true}""", "trigger.value")]
    [InlineData("""{"any":[]}""", "trigger.any")]
    [InlineData("""{"not":{"any":[{"field":"status","op":"==","value":"x","extra":1}]}}""", "trigger.not.any[0].extra")]
    [InlineData("""{"all":[{"field":"status","op":"=="}],"any":[]}""", "trigger")]
    [InlineData("""[1]""", "trigger")]
    [InlineData("""{"not":{"not":{"not":{"not":{"not":{"not":{"field":"status","op":"exists"}}}}}}}""", "trigger.not.not.not.not.not.not")]
    public void A_bad_trigger_is_refused_with_the_path_of_the_bad_part(string trigger, string path)
    {
        var errors = new Dictionary<string, string[]>();
        Assert.Null(TriggerParser.Parse(trigger, errors));
        Assert.Contains(path, errors.Keys);
    }

    [Fact]
    public void Too_many_conditions_are_refused()
    {
        var parts = string.Join(',', Enumerable.Repeat("""{"field":"status","op":"exists"}""", TriggerParser.MaxConditions + 1));
        var errors = new Dictionary<string, string[]>();
        Assert.Null(TriggerParser.Parse($$"""{"any":[{{parts}}]}""", errors));
        Assert.Contains("conditions", errors["trigger"][0], StringComparison.Ordinal);
    }
}
