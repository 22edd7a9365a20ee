namespace RewardEvents.UnitTests.Sagas;

/// <param name="InterfereOnce">On the first attempt, another writer updates the row after it was loaded.</param>
public sealed record TicketAssigned(Guid TicketId, string Assignee, bool InterfereOnce = false);
