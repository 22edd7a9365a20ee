using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RewardEvents.ServiceDefaults;

/// <summary>What every RewardEvents host has: telemetry, health endpoints, structured logs.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The fleet's own ActivitySource and Meter name.</summary>
    public const string TelemetryName = "RewardEvents";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? serviceName))
            .WithTracing(t =>
            {
                t.AddSource("MassTransit", TelemetryName).AddAspNetCoreInstrumentation(o =>
                    o.Filter = http => !http.Request.Path.StartsWithSegments("/health")).AddHttpClientInstrumentation();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            })
            .WithMetrics(m =>
            {
                // "System.Runtime" is the runtime's own meter (GC, JIT, thread pool, exceptions, since .NET 9).
                m.AddMeter("MassTransit", TelemetryName, "System.Runtime").AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (builder.Configuration.GetValue<bool>("Telemetry:Prometheus"))
                {
                    m.AddPrometheusExporter();
                }

                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            builder.Logging.AddOpenTelemetry(l => l.AddOtlpExporter());
        }

        _ = telemetry;
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary><c>/health/live</c> answers while the process runs; <c>/health/ready</c> checks the broker and the database.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        if (app.Configuration.GetValue<bool>("Telemetry:Prometheus"))
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return app;
    }
}
