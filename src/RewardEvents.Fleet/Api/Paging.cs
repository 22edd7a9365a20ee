using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Fleet.Api;

/// <summary>The listings' offset paging: <c>offset</c> from 0, <c>limit</c> 1–500 (default 100), and the next page's offset while more follow.</summary>
internal static class Paging
{
    /// <summary>
    /// Reads one page of an ordered query, and one row more to learn whether another page follows; the page's rows and
    /// the offset of the next page (null after the last).
    /// </summary>
    public static async Task<(List<T> Rows, int? NextOffset)> ReadPageAsync<T>(
        this IQueryable<T> ordered, int? offset, int? limit, CancellationToken cancellationToken)
    {
        var skip = Math.Max(0, offset ?? 0);
        var take = Math.Clamp(limit ?? 100, 1, 500);
        var rows = await ordered.Skip(skip).Take(take + 1).ToListAsync(cancellationToken);
        return rows.Count > take ? (rows[..take], skip + take) : (rows, null);
    }
}
