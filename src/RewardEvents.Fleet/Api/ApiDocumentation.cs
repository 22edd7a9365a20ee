using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and its Scalar reference page (<c>/scalar</c>), both anonymous.
/// Every <c>/v1</c> operation is documented with its scope, the bearer scheme and its problem-detail errors here,
/// in one place, so routes only declare what is particular to them.
/// </summary>
internal static class ApiDocumentation
{
    private const string Bearer = "bearer";

    // Request bodies are read by hand (to bound them and name every bad field), so their shape is given as an example.
    private static readonly Dictionary<string, string> RequestExamples = new(StringComparer.Ordinal)
    {
        ["PostEvent"] = """{"event":"reward.redeemed","event_id":"evt_12345","user_id":"user_678","reward_id":"reward_999","amount":500,"currency":"INR","status":"success","timestamp":"2026-05-05T10:00:00Z"}""",
        ["CreateEndpoint"] = """{"url":"https://hooks.example.com/rewards","event_types":["reward.redeemed"],"ordering":"per-user","retry_schedule":"5s,5m,30m","description":"CRM","trigger":{"all":[{"field":"amount","op":">=","value":1000},{"field":"currency","op":"==","value":"INR"}]},"rate_limit":50,"headers":{"x-tenant":"acme"}}""",
        ["UpdateEndpoint"] = """{"url":"https://hooks.example.com/rewards/v2","trigger":{"field":"status","op":"in","value":["failed","reversed"]},"rate_limit":null,"enabled":true}""",
        ["SendTestEvent"] = """{"event_type":"reward.redeemed"}""",
        ["RotateEndpointSecret"] = """{"grace":"24h"}""",
        ["RecoverEndpoint"] = """{"since":"2026-05-05T10:00:00Z"}""",
        ["CreateApiKey"] = """{"name":"checkout producer","scopes":["events:write"]}""",
    };

    // The listings' paging, the same on each (see Paging).
    private static readonly Dictionary<string, string> PagingParameters = new(StringComparer.Ordinal)
    {
        ["cursor"] = "The previous page's `next_cursor`, as it came: the page starts right after that page's last row. Not with `offset`.",
        ["offset"] = "Rows to skip, from 0. Reads every row it skips and shifts as rows arrive; prefer `cursor` to walk a listing.",
        ["limit"] = "Rows per page, 1–500 (default 100).",
    };

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "RewardEvents API";
                document.Info.Description = "Ingest reward events and manage webhook endpoints, deliveries and API keys. "
                    + "Send 'Authorization: Bearer <key>'; each operation names the scope its key needs. Errors are RFC 7807 problem details.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key: from Security:ApiKeys or created with POST /v1/api-keys.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (!context.Description.RelativePath?.StartsWith("v1/", StringComparison.Ordinal) ?? true)
                {
                    return;
                }

                var scope = metadata.OfType<RequiredScope>().LastOrDefault()?.Scope ?? ApiScopes.Admin;
                operation.Description = $"Requires scope `{scope}`.";
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] }];
                if (metadata.OfType<IEndpointNameMetadata>().LastOrDefault()?.EndpointName is { } name
                    && RequestExamples.TryGetValue(name, out var example) && operation.RequestBody is null)
                {
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Example = JsonNode.Parse(example) } },
                    };
                }

                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                {
                    if (parameter.Name is { } named && PagingParameters.TryGetValue(named, out var description))
                    {
                        parameter.Description = description;
                    }
                }

                var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken);
                operation.Responses ??= [];
                AddProblem(operation, problem, StatusCodes.Status401Unauthorized, "The key is missing, unknown or revoked.");
                AddProblem(operation, problem, StatusCodes.Status403Forbidden, $"The key lacks the `{scope}` scope.");
                AddProblem(operation, problem, StatusCodes.Status429TooManyRequests, "The key is over its rate limit; see Retry-After.");
                if (operation.RequestBody is not null)
                {
                    AddProblem(operation, problem, StatusCodes.Status400BadRequest, "The body is not valid; `errors` names every bad field.");
                }

                if (context.Description.RelativePath!.Contains('{', StringComparison.Ordinal))
                {
                    AddProblem(operation, problem, StatusCodes.Status404NotFound, "No such resource.");
                }
            });
        });

    public static void MapApiDocumentation(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/scalar", o => o.WithTitle("RewardEvents API")).AllowAnonymous();
    }

    private static void AddProblem(OpenApiOperation operation, OpenApiSchema schema, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }

        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
        };
    }
}
