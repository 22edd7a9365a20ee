namespace RewardEvents.Fleet.Workers;

/// <summary>What one HTTP attempt came to.</summary>
public sealed record AttemptResult
{
    public int? StatusCode { get; init; }

    /// <summary>Null on success; otherwise the failure's kind, e.g. <c>http_503</c>, <c>timeout</c>.</summary>
    public string? Error { get; init; }

    public string? ResponseBody { get; init; }
    public TimeSpan Duration { get; init; }

    /// <summary>The receiver's <c>Retry-After</c>, honoured on 429 and 503.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public bool Succeeded => Error is null;

    /// <summary>410 Gone: the receiver says the endpoint no longer exists.</summary>
    public bool EndpointGone => StatusCode == 410;
}
