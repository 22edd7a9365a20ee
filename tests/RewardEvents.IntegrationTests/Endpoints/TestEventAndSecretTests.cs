using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;
using RewardEvents.Webhooks;

namespace RewardEvents.IntegrationTests.Endpoints;

/// <summary>Test events and secret rotation through the whole fleet on RabbitMQ and PostgreSQL, with real receivers.</summary>
public sealed class TestEventAndSecretTests(RabbitMqBroker broker, PostgresServer postgres)
{
    [Fact]
    public async Task A_test_event_reaches_only_its_endpoint_signed_and_marked_as_a_test()
    {
        await using var fleet = await StartFleetAsync("testevt");
        using var api = fleet.CreateClient();
        await using var target = await TestReceiver.StartAsync();
        await using var other = await TestReceiver.StartAsync();
        var created = await EndpointApi.CreateAsync(api, new { url = target.Url, event_types = new[] { "reward.redeemed" } });
        var id = created.GetProperty("id").GetString()!;
        var secret = WebhookSecret.Parse(created.GetProperty("secret").GetString()!);
        await EndpointApi.CreateAsync(api, new { url = other.Url, event_types = Array.Empty<string>() });

        var accepted = await EndpointApi.SendTestAsync(api, id, "reward.redemption_reversed");
        var deliveryId = accepted.GetProperty("delivery_id").GetString();
        var delivery = await Eventually.UntilValueAsync(async () =>
        {
            var d = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries/{deliveryId}");
            return d.GetProperty("status").GetString() == "delivered" ? (JsonElement?)d : null;
        }, TimeSpan.FromSeconds(60), "the test delivery is delivered");
        Assert.Equal(id, delivery.GetProperty("endpoint_id").GetString());
        Assert.Equal(accepted.GetProperty("event_id").GetString(), delivery.GetProperty("event_id").GetString());

        var received = Assert.Single(target.Requests);
        Assert.Equal("true", received.Headers["webhook-test"]);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.True(body.GetProperty("test").GetBoolean());
        Assert.Equal("reward.redemption_reversed", body.GetProperty("event").GetString());
        new WebhookVerifier([secret]).Verify(received.Headers, received.Body);

        // A real event afterwards reaches the other endpoint; the test event never did.
        await EndpointApi.PostEventAsync(api, "evt_after_test", "user_after_test");
        await Eventually.UntilAsync(() => Task.FromResult(other.Delivered().Count == 1), TimeSpan.FromSeconds(60), "the real event reaches the other endpoint");
        Assert.Equal("evt_after_test", Assert.Single(other.Requests).EventId);
        Assert.All(other.Requests, r => Assert.False(r.Headers.ContainsKey("webhook-test")));
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_verify_during_the_grace_period_and_only_the_new_one_after_it()
    {
        await using var fleet = await StartFleetAsync("rotate");
        var database = fleet.App.Configuration.GetConnectionString("RewardEvents")!;
        using var api = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var created = await EndpointApi.CreateAsync(api, new { url = receiver.Url, event_types = new[] { "reward.redeemed" } });
        var id = created.GetProperty("id").GetString()!;
        var oldSecret = created.GetProperty("secret").GetString()!;

        var invalid = await EndpointApi.ProblemErrorsAsync(await api.PostAsync($"/v1/endpoints/{id}/secret/rotate",
            EndpointApi.Json("""{"secret":"whsec_c2hvcnQ=","grace":"forever"}""")));
        Assert.Equal(["grace", "secret"], invalid.Keys.Order(StringComparer.Ordinal));

        var chosen = WebhookSecret.Generate().ToString();
        using var rotated = await api.PostAsync($"/v1/endpoints/{id}/secret/rotate", EndpointApi.Json($$"""{"secret":"{{chosen}}","grace":"4s"}"""));
        var rotation = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(rotated.IsSuccessStatusCode, rotation.ToString());
        Assert.Equal(chosen, rotation.GetProperty("secret").GetString());
        var graceEnds = rotation.GetProperty("previous_secret_expires_at").GetDateTime();

        // Within the grace period: two signatures, and a receiver holding either secret accepts the webhook.
        var during = await SendTestAndReceiveAsync(api, receiver, id);
        Assert.True(during.At.UtcDateTime < graceEnds, "the test event went out within the grace period");
        Assert.Equal(2, during.Headers["webhook-signature"].Split(' ').Length);
        new WebhookVerifier([WebhookSecret.Parse(oldSecret)]).Verify(during.Headers, during.Body);
        new WebhookVerifier([WebhookSecret.Parse(chosen)]).Verify(during.Headers, during.Body);

        // After it: one signature, the new secret's; the old one no longer verifies.
        await Eventually.UntilAsync(() => Task.FromResult(DateTime.UtcNow > graceEnds), TimeSpan.FromSeconds(30), "the grace period ends");
        var after = await SendTestAndReceiveAsync(api, receiver, id);
        Assert.Single(after.Headers["webhook-signature"].Split(' '));
        new WebhookVerifier([WebhookSecret.Parse(chosen)]).Verify(after.Headers, after.Body);
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier([WebhookSecret.Parse(oldSecret)]).Verify(after.Headers, after.Body));

        // At rest the column holds neither secret.
        await using (var db = FleetDatabase.OpenPostgres(database))
        {
            var stored = await db.Endpoints.AsNoTracking().Where(e => e.Id == id).Select(e => e.Secrets).SingleAsync();
            Assert.DoesNotContain(chosen["whsec_".Length..], stored, StringComparison.Ordinal);
            Assert.DoesNotContain(oldSecret["whsec_".Length..], stored, StringComparison.Ordinal);
            Assert.StartsWith("dp1:", stored, StringComparison.Ordinal);
            Assert.NotEmpty(await db.DataProtectionKeys.AsNoTracking().ToListAsync());

            // A row from before encryption (plain whsec_ text) still signs.
            var legacy = WebhookSecret.Generate().ToString();
            await db.Endpoints.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Secrets, legacy));
            var plain = await SendTestAndReceiveAsync(api, receiver, id);
            new WebhookVerifier([WebhookSecret.Parse(legacy)]).Verify(plain.Headers, plain.Body);
        }

        var read = await api.GetFromJsonAsync<JsonElement>($"/v1/endpoints/{id}");
        Assert.Equal(JsonValueKind.Null, read.GetProperty("secret").ValueKind);
    }

    private static async Task<ReceivedWebhook> SendTestAndReceiveAsync(HttpClient api, TestReceiver receiver, string endpointId)
    {
        var accepted = await EndpointApi.SendTestAsync(api, endpointId);
        var eventId = accepted.GetProperty("event_id").GetString();
        return await Eventually.UntilAsync(() => Task.FromResult(receiver.Requests.FirstOrDefault(r => r.EventId == eventId)),
            TimeSpan.FromSeconds(60), "the test event arrives");
    }

    private async Task<FleetHost> StartFleetAsync(string name)
    {
        var vhost = await broker.CreateVirtualHostAsync(name);
        var database = await postgres.CreateDatabaseAsync(name);
        return await FleetHost.StartAsync(FleetRoles.All, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
            ["Delivery:HeartbeatInterval"] = "00:00:00.500",
        });
    }
}
