using System.Buffers.Text;
using System.Linq.Expressions;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// The listings' paging, by cursor or by offset; <c>limit</c> 1–500 (default 100). Each page answers <c>next_cursor</c>
/// while more rows follow, and <c>next_offset</c> too when it was asked for by offset (or with neither). A cursor names
/// the last row of its page, and the next page starts right after that row: a page costs the database its own rows
/// however deep it is, and rows added at the head of a listing while a client walks it (the newest deliveries) neither
/// repeat nor push rows past it, as they do between offsets.
/// </summary>
internal static class Paging
{
    /// <summary>
    /// Reads one page of an ordered query, and one row more to learn whether another page follows. A malformed
    /// cursor, or one with an offset, is the caller's error: a 400 problem naming the field.
    /// </summary>
    public static async Task<(PageOf<T>? Page, IResult? Error)> ReadPageAsync<T>(
        this IQueryable<T> ordered, Keyset<T> keyset, int? offset, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var take = Math.Clamp(limit ?? 100, 1, 500);
        IQueryable<T> from;
        int? skip = null;
        if (cursor is not null)
        {
            if (offset is not null)
            {
                return (null, Invalid("Give cursor or offset, not both."));
            }

            if (keyset.After(cursor) is not { } after)
            {
                return (null, Invalid($"Not a cursor of this listing: pass the next_cursor of a page of {keyset.Listing} as it came."));
            }

            from = ordered.Where(after);
        }
        else
        {
            skip = Math.Max(0, offset ?? 0);
            from = ordered.Skip(skip.Value);
        }

        // A page asked for by cursor has no offset to give for the next one (skip stays null).
        var rows = await from.Take(take + 1).ToListAsync(cancellationToken);
        return (rows.Count > take ? new(rows[..take], skip + take, keyset.CursorOf(rows[take - 1])) : new(rows, null, null), null);

        static IResult Invalid(string message) => Problems.Invalid(new Dictionary<string, string[]> { ["cursor"] = [message] });
    }
}

/// <summary>A page's rows, and where the next page starts while more follow.</summary>
internal sealed record PageOf<T>(List<T> Rows, int? NextOffset, string? NextCursor);

/// <summary>
/// How a listing pages by cursor: the key of a row, in the listing's order, and the rows after a key. The cursor is the
/// key with the listing's name in front, in base64url, opaque to clients; a cursor of another listing is refused.
/// </summary>
internal sealed class Keyset<T>(string listing, Func<T, string> keyOf, Func<string, Expression<Func<T, bool>>?> after)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public string Listing => listing;

    public string CursorOf(T row) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{listing}:{keyOf(row)}"));

    /// <summary>The condition for the rows after the cursor's row; null when the text is not a cursor of this listing.</summary>
    public Expression<Func<T, bool>>? After(string cursor)
    {
        if (!Base64Url.IsValid(cursor))
        {
            return null;
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(cursor.Length)];
        if (!Base64Url.TryDecodeFromChars(cursor, bytes, out var written))
        {
            return null;
        }

        var prefix = listing + ":";
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return text.StartsWith(prefix, StringComparison.Ordinal) ? after(text[prefix.Length..]) : null;
    }
}

/// <summary>
/// The keys the listings' cursors carry: a number (a time's ticks, a sequence) and the row's id, after a dot; a Guid id
/// in its 32-digit form.
/// </summary>
internal static class CursorKey
{
    public static string Of(long number, string id) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{number}.{id}");

    public static string Of(long number, Guid id) => Of(number, id.ToString("N"));

    public static string Of(DateTime time, string id) => Of(time.Ticks, id);

    public static string Of(DateTime time, Guid id) => Of(time.Ticks, id);

    public static bool TryRead(string key, out long number, out string id)
    {
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        id = dot < 0 ? "" : key[(dot + 1)..];
        number = 0;
        return dot > 0 && id.Length > 0
            && long.TryParse(key.AsSpan(0, dot), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    public static bool TryRead(string key, out long number, out Guid id)
    {
        id = Guid.Empty;
        return TryRead(key, out number, out string text) && Guid.TryParseExact(text, "N", out id);
    }

    public static bool TryRead(string key, out DateTime time, out string id) =>
        TryTime(TryRead(key, out long ticks, out id), ticks, out time);

    public static bool TryRead(string key, out DateTime time, out Guid id) =>
        TryTime(TryRead(key, out long ticks, out id), ticks, out time);

    /// <summary>The time of <paramref name="ticks"/> read from a key, where they were read and are a time's.</summary>
    private static bool TryTime(bool read, long ticks, out DateTime time)
    {
        read = read && ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks;
        time = read ? new DateTime(ticks, DateTimeKind.Utc) : default;
        return read;
    }
}
