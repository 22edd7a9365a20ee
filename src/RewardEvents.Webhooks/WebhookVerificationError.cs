namespace RewardEvents.Webhooks;

/// <summary>Why a webhook failed verification; each cause has its own value.</summary>
public enum WebhookVerificationError
{
    /// <summary>Verified: no error.</summary>
    None = 0,

    /// <summary>No <c>webhook-id</c> header.</summary>
    MissingId,

    /// <summary>No <c>webhook-timestamp</c> header.</summary>
    MissingTimestamp,

    /// <summary>No <c>webhook-signature</c> header.</summary>
    MissingSignature,

    /// <summary><c>webhook-timestamp</c> is not whole Unix seconds.</summary>
    MalformedTimestamp,

    /// <summary>The timestamp is older than the tolerance allows (a replay, or a very late delivery).</summary>
    TimestampTooOld,

    /// <summary>The timestamp is further in the future than the tolerance allows.</summary>
    TimestampTooNew,

    /// <summary><c>webhook-signature</c> holds no well-formed <c>v1,&lt;base64&gt;</c> entry.</summary>
    MalformedSignature,

    /// <summary>No signature matches any secret: the body, id or timestamp was altered, or the secret is wrong.</summary>
    NoMatchingSignature,
}
