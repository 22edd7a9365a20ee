using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// The scope's database context, rented from the pool on first use. A first attempt that succeeds does
/// all its database work through the batched claims and writer, so its scope needs none: renting one per
/// delivery anyway cost CPU (reset on return) and, with a batch's deliveries in flight side by side, held
/// hundreds of contexts at once (worker peak RSS over 250 MiB in the benchmark).
/// </summary>
internal sealed class LazyDbContext(IServiceProvider services)
{
    private RewardEventsDbContext? _context;

    public RewardEventsDbContext Context => _context ??= services.GetRequiredService<RewardEventsDbContext>();
}
