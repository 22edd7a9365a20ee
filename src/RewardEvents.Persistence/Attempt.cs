namespace RewardEvents.Persistence;

/// <summary>One HTTP attempt of a delivery, kept for inspection.</summary>
public sealed class Attempt
{
    public long Id { get; init; }
    public required Guid DeliveryId { get; init; }
    public required int Number { get; init; }
    public required DateTime StartedAt { get; init; }
    public required int DurationMs { get; init; }
    public int? StatusCode { get; init; }

    /// <summary>Null for a 2xx; otherwise e.g. <c>http_500</c>, <c>timeout</c>, <c>connection_refused</c>.</summary>
    public string? Error { get; init; }

    public string? ResponseBody { get; init; }
    public required bool Succeeded { get; init; }
    public string? WorkerId { get; init; }
}
