using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

internal sealed record EventAccepted(string EventId);

internal sealed record EventStatus(
    string EventId, string Event, string Status, long Sequence, DateTime ReceivedAt, DateTime? CompletedAt,
    IReadOnlyList<DeliveryView> Deliveries);

internal sealed record DeliveryView(
    Guid Id, string EventId, string Event, string EndpointId, long Sequence, string WebhookId, DeliveryStatus Status,
    int Attempts, DateTime CreatedAt, DateTime? NextAttemptAt, DateTime? FinalAt, int? LastStatusCode, string? LastError)
{
    public static DeliveryView From(Delivery d) => new(
        d.Id, d.EventId, d.EventType, d.EndpointId, d.Sequence, d.WebhookId, d.Status, d.AttemptCount, d.CreatedAt,
        d.IsFinal ? null : d.NextAttemptAt, d.FinalAt, d.LastStatusCode, d.LastError);
}

internal sealed record AttemptView(
    int Number, DateTime StartedAt, int DurationMs, int? StatusCode, string? Error, bool Succeeded, string? ResponseBody)
{
    public static AttemptView From(Attempt a) => new(a.Number, a.StartedAt, a.DurationMs, a.StatusCode, a.Error, a.Succeeded, a.ResponseBody);
}

internal sealed record EndpointView(
    string Id, string Url, string? Description, IReadOnlyList<string> EventTypes, string Ordering, string? RetrySchedule,
    System.Text.Json.JsonElement? Trigger, double? RateLimit, IReadOnlyDictionary<string, string> Headers,
    bool Enabled, string? DisabledReason, DateTime CreatedAt, int ConsecutiveFailures, string Circuit, string? Secret)
{
    public static EndpointView From(WebhookEndpoint e, DateTime now, string? secret = null) => new(
        e.Id, e.Url, e.Description, e.EventTypeList.ToList(), e.Ordering == EndpointOrdering.PerUser ? "per-user" : "none",
        e.RetrySchedule, e.Trigger is null ? null : System.Text.Json.JsonDocument.Parse(e.Trigger).RootElement.Clone(), e.RateLimit,
        EndpointHeaders.Read(e.Headers), e.Enabled, e.DisabledReason, e.CreatedAt, e.ConsecutiveFailures, CircuitOf(e, now), secret);

    public static string CircuitOf(WebhookEndpoint e, DateTime now) =>
        e.CircuitOpenUntil is null ? "closed" : e.CircuitOpenUntil > now ? "open" : "half-open";
}

internal sealed record EndpointStats(
    string EndpointId, string Window, DateTime Since, int Attempts, int Succeeded, int Failed, double? SuccessRate,
    int? LatencyP50Ms, int? LatencyP95Ms, int Waiting, int DeadLettered, string Circuit);

internal sealed record TestEventAccepted(Guid DeliveryId, string EventId, string EventType);

internal sealed record SecretRotated(string EndpointId, string Secret, DateTime? PreviousSecretExpiresAt);

internal sealed record Page<T>(IReadOnlyList<T> Items, int? NextOffset, string? NextCursor);
