using System.Globalization;
using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// MassTransit's own timings of the fleet's messages, read from each host's <c>/metrics</c> at the start and the
/// end of the measured window. They split the hops the stage breakdown cannot see into, per host and message type:
/// <list type="bullet">
/// <item><c>delivery</c>: from the sender serializing the message to a consumer starting on it (the broker hop and
/// any wait in the receiver's prefetch);</item>
/// <item><c>saga</c>: from receiving a message to its saga instance saved (the router's read and write);</item>
/// <item><c>receive</c>: the whole receive, including the sends held until the saga committed (in-memory outbox);
/// MassTransit labels it by queue, not message type, so it is summed over the host's queues;</item>
/// <item><c>consume</c>: a consumer's run (the worker's claim, POSTs and finishing write).</item>
/// </list>
/// Each is a Prometheus histogram with fixed buckets, so besides the exact mean it gives only the share of messages
/// over a bucket's bound (25 and 100 ms), not exact percentiles.
/// </summary>
public static class MessageTimings
{
    private const string MessageTypeLabel = "messaging_masstransit_message_type";
    private static readonly string[] ByMessageType = ["delivery", "saga", "consume"];
    private const string Receive = "receive";
    private const string AnyMessageType = "(all)";

    /// <summary>A host's cumulative histograms, by instrument and message type, from one scrape of its <c>/metrics</c>.</summary>
    public static IReadOnlyList<Histogram> From(PrometheusScrape scrape)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        return ByMessageType
            .SelectMany(instrument => scrape.LabelValues(Series(instrument, "count"), MessageTypeLabel)
                .Select(messageType => Read(scrape, instrument, messageType)))
            .Append(Read(scrape, Receive, null))
            .ToList();
    }

    /// <summary>What each host recorded between two readings; message types it did not see in between are left out.</summary>
    public static IReadOnlyList<MessageTiming> Between(
        IReadOnlyDictionary<string, IReadOnlyList<Histogram>> start, IReadOnlyDictionary<string, IReadOnlyList<Histogram>> end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        var timings = new List<MessageTiming>();
        foreach (var (host, histograms) in end)
        {
            var before = start.GetValueOrDefault(host) ?? [];
            foreach (var after in histograms)
            {
                var earlier = before.FirstOrDefault(b => b.Instrument == after.Instrument && b.MessageType == after.MessageType);
                var count = after.Count - (earlier?.Count ?? 0);
                if (count <= 0)
                {
                    continue;
                }

                double ShareOver(double withinBefore, double withinAfter) => (count - (withinAfter - withinBefore)) / count;
                timings.Add(new MessageTiming(
                    host, after.Instrument, after.MessageType, (long)count,
                    (after.SumMs - (earlier?.SumMs ?? 0)) / count,
                    ShareOver(earlier?.Within25Ms ?? 0, after.Within25Ms),
                    ShareOver(earlier?.Within100Ms ?? 0, after.Within100Ms)));
            }
        }

        return timings;
    }

    /// <param name="messageType">Null: the series summed over all its labels.</param>
    /// <exception cref="InvalidOperationException">The histogram has no bucket at 25 or 100 ms (its bounds changed).</exception>
    private static Histogram Read(PrometheusScrape scrape, string instrument, string? messageType)
    {
        var bounds = scrape.LabelValues(Series(instrument, "bucket"), "le");
        if (bounds.Count > 0 && !(bounds.Contains("25") && bounds.Contains("100")))
        {
            // A missing bucket would read as zero messages within it: every message "over" the bound.
            throw new InvalidOperationException(
                $"{Series(instrument, "bucket")} has no bucket at 25 or 100 ms (bounds: {string.Join(", ", bounds)}).");
        }

        (string, string)[] type = messageType is null ? [] : [(MessageTypeLabel, messageType)];
        return new Histogram(
            instrument, messageType ?? AnyMessageType,
            scrape.Sum(Series(instrument, "count"), type),
            scrape.Sum(Series(instrument, "sum"), type),
            scrape.Sum(Series(instrument, "bucket"), [.. type, ("le", "25")]),
            scrape.Sum(Series(instrument, "bucket"), [.. type, ("le", "100")]));
    }

    private static string Series(string instrument, string part) =>
        string.Create(CultureInfo.InvariantCulture, $"messaging_masstransit_{instrument}_duration_milliseconds_{part}");

    /// <summary>A histogram's cumulative figures: how many, their sum, and how many were within 25 and 100 ms.</summary>
    public sealed record Histogram(string Instrument, string MessageType, double Count, double SumMs, double Within25Ms, double Within100Ms);
}

/// <summary>One host's timing of one message type in the measured window.</summary>
public sealed record MessageTiming(
    string Host, string Instrument, string MessageType, long Count, double MeanMs, double ShareOver25Ms, double ShareOver100Ms);
