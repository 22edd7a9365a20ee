using System.Globalization;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// The delays before each retry of a delivery. The first attempt is always immediate, so a schedule
/// of three delays means four attempts in all.
/// </summary>
public sealed class RetrySchedule
{
    public const string DefaultText = "5s,5m,30m,2h,5h,10h,10h";

    private RetrySchedule(IReadOnlyList<TimeSpan> delays) => Delays = delays;

    public IReadOnlyList<TimeSpan> Delays { get; }

    public int MaxAttempts => Delays.Count + 1;

    public TimeSpan Longest => Delays.Count == 0 ? TimeSpan.Zero : Delays.Max();

    /// <summary>
    /// The delay before the attempt after <paramref name="attemptsMade"/> attempts, jittered by up to
    /// ±<paramref name="jitter"/>; null when the schedule is exhausted.
    /// </summary>
    public TimeSpan? DelayAfter(int attemptsMade, double jitter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (attemptsMade < 1 || attemptsMade > Delays.Count)
        {
            return null;
        }

        var delay = Delays[attemptsMade - 1];
        var factor = 1 + ((random.NextDouble() * 2) - 1) * jitter;
        return TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }

    public static RetrySchedule Parse(string text)
    {
        if (!TryParse(text, out var schedule, out var error))
        {
            throw new FormatException(error);
        }

        return schedule;
    }

    /// <summary>Parses a comma-separated list such as <c>500ms,5s,5m,2h,1d</c>.</summary>
    public static bool TryParse(string? text, out RetrySchedule schedule, out string error)
    {
        schedule = new RetrySchedule([]);
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "A retry schedule is a comma-separated list of delays such as '5s,5m,30m'; it was empty.";
            return false;
        }

        var delays = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryParseDelay(part, out var delay))
            {
                error = $"'{part}' is not a delay: use a positive number with a unit ms, s, m, h or d (e.g. '30s').";
                return false;
            }

            delays.Add(delay);
        }

        if (delays.Count > 50)
        {
            error = "A retry schedule has at most 50 delays.";
            return false;
        }

        schedule = new RetrySchedule(delays);
        return true;
    }

    public override string ToString() => string.Join(',', Delays.Select(Format));

    /// <summary>One delay such as <c>500ms</c>, <c>5m</c> or <c>7d</c>: positive, at most seven days.</summary>
    internal static bool TryParseDelay(string part, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        var unitStart = part.Length;
        while (unitStart > 0 && char.IsLetter(part[unitStart - 1]))
        {
            unitStart--;
        }

        if (!double.TryParse(part.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        TimeSpan? parsed = part[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
        if (parsed is null || parsed > TimeSpan.FromDays(7))
        {
            return false;
        }

        delay = parsed.Value;
        return true;
    }

    private static string Format(TimeSpan delay) =>
        delay.TotalHours >= 1 && delay.TotalHours % 1 == 0 ? $"{delay.TotalHours}h"
        : delay.TotalMinutes >= 1 && delay.TotalMinutes % 1 == 0 ? $"{delay.TotalMinutes}m"
        : delay.TotalSeconds >= 1 && delay.TotalSeconds % 1 == 0 ? $"{delay.TotalSeconds}s"
        : $"{delay.TotalMilliseconds}ms";
}
