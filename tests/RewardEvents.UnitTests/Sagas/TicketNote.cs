namespace RewardEvents.UnitTests.Sagas;

/// <summary>A side entity a saga activity adds to the scoped DbContext, like a delivery row.</summary>
public sealed class TicketNote
{
    public int Id { get; set; }
    public Guid TicketId { get; set; }
    public string Text { get; set; } = "";
}
