using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RewardEvents.Benchmarks.Ceilings;
using RewardEvents.Benchmarks.Fleet;

namespace RewardEvents.Benchmarks.Reporting;

/// <summary>The human table, and the JSON summary for machines.</summary>
public static class ReportPrinter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new TimeSpanSecondsConverter() },
    };

    public static string Table(BenchSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"RewardEvents benchmark — {summary.Machine}");
        if (summary.Database.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL: {string.Join(", ", summary.Database.Select(d => $"{d.Key} {d.Value}"))}");
        }

        text.AppendLine();
        text.AppendLine("ceilings                                    msgs/s   detail; CPU ms per message");
        foreach (var ceiling in new[] { summary.Broker, summary.Http, summary.MassTransit, summary.MassTransitUnrouted }.OfType<CeilingResult>())
        {
            var detail = string.Join(", ", ceiling.Detail.Select(d => $"{d.Key} {d.Value:F0}"));
            var cpu = string.Join(" ", ceiling.CpuMsPerMessage.Where(c => c.Key != "postgres").OrderBy(c => c.Key == "machine").ThenByDescending(c => c.Value)
                .Select(c => $"{c.Key}={c.Value:F3}"));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {ceiling.Name,-20} {ceiling.Messages,6} x {ceiling.BodyBytes,4} B c{ceiling.Concurrency,-3} {ceiling.PerSecond,9:F0}   {detail}; {cpu}");
        }

        text.AppendLine("  (the ratio is against the lower of broker and http; masstransit is one hop through the framework and");
        text.AppendLine("   masstransit-unrouted a publish no queue takes, both for reference)");
        if (summary.MessagingFloor is { } floor)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  messaging floor: {floor.MsPerDelivery:F3} ms of machine CPU per delivery for the fleet's messages and POSTs alone ({floor.HopsPerEvent} hops per event, {(floor.OutcomeEvents ? "an outcome event and a POST" : "a POST")} per delivery, {floor.Endpoints} endpoints),");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  so at most {floor.DeliveriesPerSecondBound:F0} deliveries/s on {floor.Cores} cores with no database and no work of the fleet's own");
        }

        if (summary.Fleet.Count > 0 || summary.FixedRate is not null)
        {
            text.AppendLine();
            text.AppendLine("fleet run                 deliv'd/expected  deliv/s    p50 ms   p95 ms   p99 ms  dup  peak RSS MiB");
            foreach (var run in summary.Fleet.Append(summary.FixedRate).OfType<FleetResult>())
            {
                var rss = string.Join(" ", run.PeakRssMib.Select(p => $"{p.Key}={p.Value:F0}"));
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {run.Scenario.Name,-22} {run.Delivered,7}/{run.ExpectedDeliveries,-7}{(run.Complete ? " " : "!")} {run.DeliveriesPerSecond,8:F1} {run.LatencyMs.P50Ms,9:F0} {run.LatencyMs.P95Ms,8:F0} {run.LatencyMs.P99Ms,8:F0} {run.Duplicates,4}  {rss}");
                var cpu = string.Join(" ", run.CpuMsPerDelivery.OrderBy(c => c.Key == "machine").ThenByDescending(c => c.Value).Select(c => $"{c.Key}={c.Value:F2}"));
                text.AppendLine(CultureInfo.InvariantCulture, $"  {"",-22} CPU ms per delivery: {cpu}");
                var jit = string.Join(" ", run.JitMsDuringRun.Select(j => $"{j.Key}={j.Value:F0}"));
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {"",-22} after {run.Warmup.Events} warm-up events ({run.Warmup.Rounds} round(s){(run.Warmup.PacedRounds > 0 ? $" and {run.Warmup.PacedRounds} paced" : "")}, hosts up {run.Warmup.FleetAgeSeconds:F0} s{(run.Warmup.Settled ? "" : ", JIT not settled")}); JIT ms in the run: {jit}");
                if (run.GcPauseMsDuringRun is { Count: > 0 } pauses)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {"",-22} GC pause ms in the run: {string.Join(" ", pauses.Select(p => $"{p.Key}={p.Value:F0}"))}");
                }
                if (run.LatencyBySecond is { Count: > 0 } seconds)
                {
                    var worst = string.Join(", ", seconds.OrderByDescending(b => b.MaxMs).Take(3).Select(b => $"{b.Second} s: p99 {b.P99Ms:F0} max {b.MaxMs:F0}"));
                    var within = seconds.Count(b => b.P99Ms <= 100);
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {"",-22} by second: p99 <= 100 ms in {within} of {seconds.Count}; worst {worst}");
                }

                if (run.DatabaseStatements is { Count: > 0 } statements)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {"",-22} PostgreSQL execution ms per delivery, top statements (calls, WAL records per delivery, of the ms its JIT):");
                    foreach (var statement in statements)
                    {
                        var sql = statement.Statement.Length > 72 ? statement.Statement[..72] + "…" : statement.Statement;
                        text.AppendLine(CultureInfo.InvariantCulture,
                            $"  {"",-24}{statement.MsPerDelivery,7:F3} {statement.Calls,7} {statement.WalRecordsPerDelivery,5:F1} {statement.JitMsPerDelivery,6:F3}  {sql}");
                    }
                }

                if (run.Stages is { Matched: > 0 } stages)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {"",-22} stages p50/p99 ms: {Stages(stages.All)} (predecessor open at routing: {stages.PredecessorOpen} of {stages.Matched})");
                    if (stages.Late > 0)
                    {
                        var longest = string.Join(" ", stages.LateLongest.OrderByDescending(l => l.Value).Select(l => $"{l.Key}={l.Value}"));
                        text.AppendLine(CultureInfo.InvariantCulture,
                            $"  {"",-22} {stages.Late} later than {DeliveryStages.LateMs:F0} ms: {Stages(stages.LateStages)}; longest stage {longest}; predecessor open {stages.LatePredecessorOpen}");
                    }
                }

                if (run.MessageTimings is { Count: > 0 } timings)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"  {"",-22} MassTransit's timings (messages, mean ms, share over 25 ms, over 100 ms):");
                    foreach (var timing in timings.OrderBy(t => t.Host, StringComparer.Ordinal).ThenBy(t => t.Instrument, StringComparer.Ordinal))
                    {
                        text.AppendLine(CultureInfo.InvariantCulture,
                            $"  {"",-24}{timing.Host,-9} {timing.Instrument,-8} {timing.MessageType,-26} {timing.Count,7} {timing.MeanMs,7:F1} {timing.ShareOver25Ms,7:P1} {timing.ShareOver100Ms,7:P1}");
                    }
                }
            }

            text.AppendLine("  (! = not every delivery arrived before the drain timeout; CPU from /proc over the measured window)");
        }

        if (summary.Targets.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(summary.Options?.Smoke == true
                ? "targets (2 cores, everything on one machine; a smoke run is too small to judge by)"
                : "targets (2 cores, everything on one machine), judged from this run");
            foreach (var target in summary.Targets)
            {
                var verdict = target.Met switch { true => "met", false => "NOT MET", null => target.Note is null ? "not measured" : "-" };
                var value = target.Value is { } v ? v.ToString(v < 10 ? "F2" : "F0", CultureInfo.InvariantCulture) + target.Unit : "-";
                var goal = (target.AtLeast ? ">= " : "<= ") + target.Threshold.ToString(target.Threshold < 10 ? "F2" : "F0", CultureInfo.InvariantCulture) + target.Unit;
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {target.Name,-56} {value,10}  target {goal,-12} {verdict}{(target.Note is null ? "" : $" ({target.Note})")}");
            }
        }

        if (summary.Micro.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("micro-benchmark                                                        mean ns   alloc B");
            foreach (var micro in summary.Micro)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {micro.Name,-68} {micro.MeanNs,9:F1} {micro.AllocatedBytes,9}");
            }
        }

        return text.ToString();
    }

    private static string Stages(IReadOnlyDictionary<string, LatencyStats> stages) =>
        string.Join(" ", stages.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value.P50Ms:F0}/{s.Value.P99Ms:F0}")));

    public static string ToJson(BenchSummary summary) => JsonSerializer.Serialize(summary, Json);

    private sealed class TimeSpanSecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.TotalSeconds);
    }
}
