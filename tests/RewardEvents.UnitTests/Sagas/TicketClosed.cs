namespace RewardEvents.UnitTests.Sagas;

public sealed record TicketClosed(Guid TicketId);
