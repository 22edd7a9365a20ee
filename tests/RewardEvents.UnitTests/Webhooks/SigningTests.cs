using System.Text;
using RewardEvents.Webhooks;

namespace RewardEvents.UnitTests.Webhooks;

/// <summary>Known answers from the Standard Webhooks spec, and every way verification must fail.</summary>
public sealed class SigningTests
{
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecBody = """{"test": 2432232314}""";
    private static readonly DateTimeOffset SpecTime = DateTimeOffset.FromUnixTimeSeconds(1614265330);

    private const string SecondBody = """{"type": "example.created", "timestamp":"2023-09-28T19:20:22+00:00", "data":{"str":"string","bool":true,"int":42}}""";
    private static readonly DateTimeOffset SecondTime = DateTimeOffset.FromUnixTimeSeconds(1696200454);

    [Fact]
    public void Spec_vector_with_whsec_prefix_signs_to_the_published_signature()
    {
        var signer = new WebhookSigner(WebhookSecret.Parse(SpecSecret));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signer.Sign(SpecId, SpecTime, SpecBody));
    }

    [Fact]
    public void Spec_vector_without_prefix_signs_to_the_published_signature()
    {
        var signer = new WebhookSigner(WebhookSecret.Parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        Assert.Equal("v1,GgjvufBlIj71MBIVQotYGb+xEC3LNXCsIZp0HsDC8qs=", signer.Sign(SpecId, SecondTime, SecondBody));
    }

    [Fact]
    public void Both_spec_vectors_verify_at_their_own_time()
    {
        Assert.True(Verifier(SpecTime).TryVerify(Headers(SpecId, SpecTime, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), Encoding.UTF8.GetBytes(SpecBody), out _));
        Assert.True(Verifier(SecondTime).TryVerify(Headers(SpecId, SecondTime, "v1,GgjvufBlIj71MBIVQotYGb+xEC3LNXCsIZp0HsDC8qs="), Encoding.UTF8.GetBytes(SecondBody), out _));
    }

    [Fact]
    public void A_tampered_body_is_rejected() =>
        AssertFails(SpecTime, Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime)), """{"test": 2432232315}""", WebhookVerificationError.NoMatchingSignature);

    [Fact]
    public void A_tampered_timestamp_is_rejected() =>
        AssertFails(SpecTime, Headers(SpecId, SpecTime.AddSeconds(1), Sign(SpecBody, SpecTime)), SpecBody, WebhookVerificationError.NoMatchingSignature);

    [Fact]
    public void A_tampered_id_is_rejected() =>
        AssertFails(SpecTime, Headers("msg_other", SpecTime, Sign(SpecBody, SpecTime)), SpecBody, WebhookVerificationError.NoMatchingSignature);

    [Fact]
    public void A_timestamp_older_than_five_minutes_is_rejected() =>
        AssertFails(SpecTime.AddMinutes(5).AddSeconds(1), Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime)), SpecBody, WebhookVerificationError.TimestampTooOld);

    [Fact]
    public void A_timestamp_more_than_five_minutes_ahead_is_rejected() =>
        AssertFails(SpecTime.AddMinutes(-5).AddSeconds(-1), Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime)), SpecBody, WebhookVerificationError.TimestampTooNew);

    [Fact]
    public void A_timestamp_at_the_edge_of_the_tolerance_is_accepted() =>
        Assert.True(Verifier(SpecTime.AddMinutes(5)).TryVerify(Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime)), Encoding.UTF8.GetBytes(SpecBody), out _));

    [Fact]
    public void A_wrong_secret_is_rejected()
    {
        var verifier = new WebhookVerifier([WebhookSecret.Generate()], time: new FixedTime(SpecTime));
        Assert.False(verifier.TryVerify(Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime)), Encoding.UTF8.GetBytes(SpecBody), out var error));
        Assert.Equal(WebhookVerificationError.NoMatchingSignature, error);
    }

    [Fact]
    public void During_rotation_two_signatures_go_out_and_a_receiver_with_either_secret_accepts()
    {
        var previous = WebhookSecret.Parse(SpecSecret);
        var current = WebhookSecret.Generate();
        var header = new WebhookSigner(current, previous).Sign(SpecId, SpecTime, SpecBody);
        Assert.Equal(2, header.Split(' ').Length);
        Assert.Contains("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header.Split(' '));
        foreach (var secret in new[] { previous, current })
        {
            var verifier = new WebhookVerifier([secret], time: new FixedTime(SpecTime));
            Assert.True(verifier.TryVerify(Headers(SpecId, SpecTime, header), Encoding.UTF8.GetBytes(SpecBody), out _));
        }
    }

    [Fact]
    public void Of_two_signatures_one_matching_is_enough_and_unknown_versions_are_ignored()
    {
        var header = "v2,c29tZXRoaW5nZWxzZQ== v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + Sign(SpecBody, SpecTime);
        Assert.True(Verifier(SpecTime).TryVerify(Headers(SpecId, SpecTime, header), Encoding.UTF8.GetBytes(SpecBody), out _));
    }

    [Theory]
    [InlineData("webhook-id", WebhookVerificationError.MissingId)]
    [InlineData("webhook-timestamp", WebhookVerificationError.MissingTimestamp)]
    [InlineData("webhook-signature", WebhookVerificationError.MissingSignature)]
    public void Each_missing_header_has_its_own_error(string missing, WebhookVerificationError expected)
    {
        var headers = Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime));
        headers.Remove(missing);
        AssertFails(SpecTime, headers, SpecBody, expected);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("1614265330.5")]
    [InlineData("-1614265330")]
    public void A_timestamp_that_is_not_unix_seconds_is_malformed(string timestamp)
    {
        var headers = Headers(SpecId, SpecTime, Sign(SpecBody, SpecTime));
        headers["webhook-timestamp"] = timestamp;
        AssertFails(SpecTime, headers, SpecBody, WebhookVerificationError.MalformedTimestamp);
    }

    [Theory]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v1,not base64!")]
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void A_signature_header_without_a_well_formed_v1_entry_is_malformed(string header) =>
        AssertFails(SpecTime, Headers(SpecId, SpecTime, header), SpecBody, WebhookVerificationError.MalformedSignature);

    [Fact]
    public void Header_names_are_matched_without_regard_to_case()
    {
        var headers = new Dictionary<string, string>
        {
            ["Webhook-Id"] = SpecId,
            ["WEBHOOK-TIMESTAMP"] = "1614265330",
            ["Webhook-Signature"] = Sign(SpecBody, SpecTime),
        };
        Assert.True(Verifier(SpecTime).TryVerify(headers, Encoding.UTF8.GetBytes(SpecBody), out _));
    }

    [Fact]
    public void The_exception_carries_the_cause()
    {
        var ex = Assert.Throws<WebhookVerificationException>(() =>
            Verifier(SpecTime).Verify(new Dictionary<string, string>(), SpecBody));
        Assert.Equal(WebhookVerificationError.MissingId, ex.Error);
        Assert.Contains("webhook-id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_secrets_are_whsec_with_at_least_24_random_bytes_and_round_trip()
    {
        var a = WebhookSecret.Generate();
        var b = WebhookSecret.Generate();
        Assert.StartsWith("whsec_", a.ToString(), StringComparison.Ordinal);
        Assert.True(a.Key.Length >= 24);
        Assert.NotEqual(a.ToString(), b.ToString());
        Assert.Equal(a.ToString(), WebhookSecret.Parse(a.ToString()).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_!!!not-base64!!!")]
    public void Parse_rejects_garbage_without_echoing_it(string text)
    {
        var ex = Assert.Throws<FormatException>(() => WebhookSecret.Parse(text));
        Assert.DoesNotContain("!!!", ex.Message, StringComparison.Ordinal);
    }

    private static string Sign(string body, DateTimeOffset time) => new WebhookSigner(WebhookSecret.Parse(SpecSecret)).Sign(SpecId, time, body);

    private static WebhookVerifier Verifier(DateTimeOffset now) => new([WebhookSecret.Parse(SpecSecret)], time: new FixedTime(now));

    private static Dictionary<string, string> Headers(string id, DateTimeOffset timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };

    private static void AssertFails(DateTimeOffset now, Dictionary<string, string> headers, string body, WebhookVerificationError expected)
    {
        Assert.False(Verifier(now).TryVerify(headers, Encoding.UTF8.GetBytes(body), out var error));
        Assert.Equal(expected, error);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
