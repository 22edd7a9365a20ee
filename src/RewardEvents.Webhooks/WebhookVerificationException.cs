namespace RewardEvents.Webhooks;

/// <summary>A webhook failed verification; <see cref="Error"/> says why.</summary>
public sealed class WebhookVerificationException : Exception
{
    /// <summary>An exception for <paramref name="error"/> with a message describing it.</summary>
    public WebhookVerificationException(WebhookVerificationError error)
        : base(Describe(error)) => Error = error;

    /// <summary>Not for use: verification failures always carry their cause.</summary>
    public WebhookVerificationException()
        : this(WebhookVerificationError.NoMatchingSignature)
    {
    }

    /// <summary>Not for use: verification failures always carry their cause.</summary>
    public WebhookVerificationException(string message)
        : base(message) => Error = WebhookVerificationError.NoMatchingSignature;

    /// <summary>Not for use: verification failures always carry their cause.</summary>
    public WebhookVerificationException(string message, Exception innerException)
        : base(message, innerException) => Error = WebhookVerificationError.NoMatchingSignature;

    /// <summary>Why verification failed.</summary>
    public WebhookVerificationError Error { get; }

    private static string Describe(WebhookVerificationError error) => error switch
    {
        WebhookVerificationError.MissingId => "The webhook-id header is missing.",
        WebhookVerificationError.MissingTimestamp => "The webhook-timestamp header is missing.",
        WebhookVerificationError.MissingSignature => "The webhook-signature header is missing.",
        WebhookVerificationError.MalformedTimestamp => "The webhook-timestamp header is not a whole number of Unix seconds.",
        WebhookVerificationError.TimestampTooOld => "The webhook-timestamp is older than the allowed tolerance.",
        WebhookVerificationError.TimestampTooNew => "The webhook-timestamp is further in the future than the allowed tolerance.",
        WebhookVerificationError.MalformedSignature => "The webhook-signature header has no well-formed 'v1,<base64>' signature.",
        WebhookVerificationError.NoMatchingSignature => "No signature matches: the message was altered or signed with another secret.",
        _ => "The webhook could not be verified.",
    };
}
