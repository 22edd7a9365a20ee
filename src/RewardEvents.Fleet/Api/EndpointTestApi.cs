using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary><c>POST /v1/endpoints/{id}/test</c>: a sample event to one endpoint, through the router and a worker like any other.</summary>
internal static class EndpointTestApi
{
    public static void Map(RouteGroupBuilder v1) =>
        v1.MapPost("/endpoints/{id}/test", SendAsync).RequireScope(ApiScopes.EndpointsWrite).WithName("SendTestEvent")
            .Produces(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .WithSummary("Send a sample event of a type to this endpoint only, marked as a test; watch it at /v1/deliveries/{delivery_id}.");

    private static async Task<IResult> SendAsync(
        string id, HttpRequest request, RewardEventsDbContext db, IPublishEndpoint publisher, TimeProvider time, CancellationToken cancellationToken)
    {
        var (document, error) = await JsonBody.ReadAsync(request, 4096, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            if (!document!.RootElement.TryGetProperty("event_type", out var typeValue) || typeValue.ValueKind != System.Text.Json.JsonValueKind.String
                || !EventTypes.Subscribable.Contains(typeValue.GetString()!))
            {
                return Problems.Invalid(new Dictionary<string, string[]>
                {
                    ["event_type"] = [$"Required: one of {string.Join(", ", EventTypes.Subscribable.Order(StringComparer.Ordinal))}."],
                });
            }

            if (await EndpointsApi.FindAsync(db, id, cancellationToken) is null)
            {
                return EndpointsApi.Missing(id);
            }

            var deliveryId = NewId.NextGuid();
            var test = new TestWebhookRequested
            {
                EventId = "evt_test_" + deliveryId.ToString("N"),
                EventType = typeValue.GetString()!,
                EndpointId = id,
                DeliveryId = deliveryId,
                RequestedAt = time.GetUtcNow(),
            };
            await publisher.Publish(test, cancellationToken);
            return Results.Accepted($"/v1/deliveries/{deliveryId}", new TestEventAccepted(deliveryId, test.EventId, test.EventType));
        }
    }
}
