namespace RewardEvents.UnitTests.Sagas;

/// <param name="Rendezvous">Hold the initial activity until two messages are inside it, forcing an insert race.</param>
public sealed record TicketOpened(Guid TicketId, string Title, string? Note = null, bool FailAfterNote = false, bool Rendezvous = false);
