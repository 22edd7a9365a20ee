using Microsoft.AspNetCore.Http;

namespace RewardEvents.Fleet.Api;

/// <summary>RFC 7807 problem details for the API's error answers.</summary>
internal static class Problems
{
    public static IResult Unauthorized(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");

    public static IResult Forbidden(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static IResult TooManyRequests(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");

    public static IResult NotFound(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Conflict(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static IResult TooLarge(int limit) =>
        Results.Problem($"The body is larger than {limit / 1024} KiB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    public static IResult BadRequest(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: "One or more fields are invalid.");
}
